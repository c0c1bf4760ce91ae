"""Visit photos on the server: the record pushed like any other, the bytes uploaded in chunks, resumable,
exactly once, checked against the record's SHA-256, thumbnails without GPS, and who may see them."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.app import create_app
from server.db import make_engine, read_session, write_session
from server.domains.photos.models import VisitPhoto, VisitPhotoChunk, VisitPhotoContent
from server.domains.users.service import create_user
from server.settings import Settings
from shared.enums import Role
from shared.ids import new_id
from shared.photos import sha256_hex
from tests.integration.conftest import (
    DEVICE_A,
    PASSWORD,
    TERRITORY_A,
    TERRITORY_B,
    World,
    login,
    make_op,
    push_body,
    visit_fields,
)

Client = AsyncTestClient[Litestar]
CHUNK = 64 * 1024


def jpeg_with_gps(width: int = 900, height: int = 600) -> bytes:
    """A real JPEG whose EXIF names where it was taken (GPS) and the camera."""
    image = Image.effect_noise((width, height), 64).convert("RGB")  # noise: a photo-sized file
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (38.0, 51.0, 30.0), 3: "E", 4: (115.0, 29.0, 10.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95, exif=exif)
    return out.getvalue()


def photo_fields(customer_id: str, visit_id: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "visit_id": visit_id,
        "size": len(data),
        "sha256": sha256_hex(data),
        "content_type": "image/jpeg",
        "taken_at": "2026-11-27T10:05:00+08:00",
        **extra,
    }


async def push_visit_with_photo(
    client: Client, headers: dict[str, str], world: World, data: bytes, *, customer: str | None = None, **extra: Any
) -> str:
    """Rep A's visit and a photo of it, pushed as the phone does; returns the photo id."""
    customer_id = customer or world.customers_a[0]
    visit_id, photo_id = new_id(), new_id()
    ops = [
        make_op(1, "visit", visit_id, visit_fields(customer_id, world.today, 10), device_id=f"d-{visit_id}"),
        make_op(
            2, "visit_photo", photo_id, photo_fields(customer_id, visit_id, data, **extra), device_id=f"d-{visit_id}"
        ),
    ]
    response = await client.post("/api/sync/push", json=push_body(ops, device_id=f"d-{visit_id}"), headers=headers)
    assert response.status_code == 200, response.text
    return photo_id


async def put_chunk(client: Client, headers: dict[str, str], photo_id: str, start: int, data: bytes) -> Any:
    return await client.put(
        f"/api/photos/{photo_id}/chunks/{start}",
        content=data,
        headers={**headers, "Content-Type": "application/octet-stream"},
    )


async def upload_all(client: Client, headers: dict[str, str], photo_id: str, data: bytes) -> dict[str, Any]:
    """Every chunk in turn, as the phone sends them; the last answer."""
    body: dict[str, Any] = {}
    for start in range(0, len(data), CHUNK):
        answer = await put_chunk(client, headers, photo_id, start, data[start : start + CHUNK])
        assert answer.status_code == 200, answer.text
        body = answer.json()
    return body


async def received(client: Client, headers: dict[str, str], photo_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/photos/{photo_id}/upload", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def web_sign_in(client: Client, username: str) -> None:
    client.cookies.clear()
    form = await client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert token
    response = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "next": "/board", "_csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code in (302, 303), response.text


@pytest.fixture
async def rep_a(client: Client, seeded: World) -> dict[str, str]:
    return await login(client, "rep.a")


async def test_an_interrupted_upload_resumes_where_the_server_stands_and_completes(
    client: Client, seeded: World, rep_a: dict[str, str], engine: Engine
) -> None:
    data = jpeg_with_gps()
    assert len(data) > 3 * CHUNK
    photo_id = await push_visit_with_photo(client, rep_a, seeded, data)
    assert await received(client, rep_a, photo_id) == {
        "photo_id": photo_id,
        "size": len(data),
        "received": 0,
        "complete": False,
    }
    # Two chunks go through, then the connection drops: the server says where to go on from.
    for start in (0, CHUNK):
        answer = await put_chunk(client, rep_a, photo_id, start, data[start : start + CHUNK])
        assert answer.status_code == 200 and answer.json()["received"] == start + CHUNK
    status = await received(client, rep_a, photo_id)
    assert (status["received"], status["complete"]) == (2 * CHUNK, False)
    # The phone (restarted, it knows nothing) resumes from the server's offset.
    start = status["received"]
    while start < len(data):
        answer = await put_chunk(client, rep_a, photo_id, start, data[start : start + CHUNK])
        assert answer.status_code == 200, answer.text
        start = answer.json()["received"]
    assert answer.json()["complete"] is True
    assert (await received(client, rep_a, photo_id))["complete"] is True
    with read_session(engine) as session:
        content = session.get(VisitPhotoContent, photo_id)
        assert content is not None and content.content == data
        assert session.exec(select(VisitPhotoChunk)).all() == []  # the chunks made way for the photo
        photo = session.get(VisitPhoto, photo_id)
        assert photo is not None and photo.uploaded_at is not None and photo.territory == TERRITORY_A


async def test_a_chunk_sent_again_is_harmless_and_a_gap_or_other_bytes_are_refused(
    client: Client, seeded: World, rep_a: dict[str, str], engine: Engine
) -> None:
    data = bytes([0xFF, 0xD8, 0xFF]) + bytes(range(256)) * 800  # 204,803 bytes
    photo_id = await push_visit_with_photo(client, rep_a, seeded, data)
    first = await put_chunk(client, rep_a, photo_id, 0, data[:CHUNK])
    again = await put_chunk(client, rep_a, photo_id, 0, data[:CHUNK])  # the first answer was lost
    assert first.status_code == again.status_code == 200
    assert again.json()["received"] == CHUNK
    other = await put_chunk(client, rep_a, photo_id, 0, b"\x00" * CHUNK)
    assert other.status_code == 409 and other.json()["error"]["details"]["received"] == CHUNK
    gap = await put_chunk(client, rep_a, photo_id, 2 * CHUNK, data[2 * CHUNK : 3 * CHUNK])
    assert gap.status_code == 409
    assert gap.json()["error"]["details"] == {"reason": "wrong_offset", "received": CHUNK, "got": 2 * CHUNK}
    past = await put_chunk(client, rep_a, photo_id, CHUNK, data[CHUNK:] + b"extra")
    assert past.status_code == 413
    empty = await put_chunk(client, rep_a, photo_id, CHUNK, b"")
    assert empty.status_code == 422
    with read_session(engine) as session:  # nothing of the refused chunks was stored
        chunks = session.exec(select(VisitPhotoChunk)).all()
        assert [(chunk.start, chunk.data) for chunk in chunks] == [(0, data[:CHUNK])]
    rest = await put_chunk(client, rep_a, photo_id, CHUNK, data[CHUNK:])
    assert rest.status_code == 200 and rest.json()["complete"] is True
    # A complete photo answers a repeat of any of its chunks as done, other bytes as a conflict.
    repeat = await put_chunk(client, rep_a, photo_id, CHUNK, data[CHUNK:])
    assert repeat.status_code == 200 and repeat.json() == rest.json()
    assert (await put_chunk(client, rep_a, photo_id, 0, b"\x01" * 10)).status_code == 409


async def test_bytes_that_do_not_match_the_sha256_are_refused_and_the_photo_stays_incomplete(
    client: Client, seeded: World, rep_a: dict[str, str], engine: Engine
) -> None:
    data = jpeg_with_gps(300, 200)
    photo_id = await push_visit_with_photo(client, rep_a, seeded, data)
    corrupted = data[:-10] + b"\x00" * 10
    answer = await put_chunk(client, rep_a, photo_id, 0, corrupted)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"] == {"reason": "sha256_mismatch", "received": 0}
    assert await received(client, rep_a, photo_id) == {
        "photo_id": photo_id,
        "size": len(data),
        "received": 0,
        "complete": False,
    }
    with read_session(engine) as session:
        assert session.get(VisitPhotoContent, photo_id) is None
        photo = session.get(VisitPhoto, photo_id)
        assert photo is not None and photo.uploaded_at is None
    # The right bytes, sent again from 0, complete it.
    fixed = await put_chunk(client, rep_a, photo_id, 0, data)
    assert fixed.status_code == 200 and fixed.json()["complete"] is True


async def test_bytes_that_are_not_the_photo_type_of_the_record_are_refused_at_the_first_chunk(
    client: Client, seeded: World, rep_a: dict[str, str], engine: Engine
) -> None:
    page = b"<html><script>alert(1)</script></html>"  # served as image/jpeg it would at least confuse
    photo_id = await push_visit_with_photo(client, rep_a, seeded, page)  # the record says image/jpeg
    answer = await put_chunk(client, rep_a, photo_id, 0, page)
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == {"reason": "not_a_photo", "content_type": "image/jpeg"}
    assert (await received(client, rep_a, photo_id))["received"] == 0
    with read_session(engine) as session:
        assert session.exec(select(VisitPhotoChunk)).all() == []


async def test_an_upload_begun_on_one_server_process_finishes_on_another(
    client: Client, seeded: World, rep_a: dict[str, str], settings: Settings
) -> None:
    """Stateless servers: the chunks are in the shared database, so any process takes the next one."""
    data = jpeg_with_gps(600, 400)
    photo_id = await push_visit_with_photo(client, rep_a, seeded, data)
    assert (await put_chunk(client, rep_a, photo_id, 0, data[:CHUNK])).status_code == 200
    other_engine = make_engine(settings.database_url)
    try:
        async with AsyncTestClient(app=create_app(settings, engine=other_engine)) as other:
            status = await received(other, rep_a, photo_id)
            assert status["received"] == CHUNK
            done = await put_chunk(other, rep_a, photo_id, CHUNK, data[CHUNK:])
            assert done.status_code == 200 and done.json()["complete"] is True
    finally:
        other_engine.dispose()


async def test_the_thumbnail_has_no_exif_and_the_photo_keeps_its_content_type(
    client: Client, seeded: World, rep_a: dict[str, str]
) -> None:
    data = jpeg_with_gps()
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(0x8825)  # the test photo does carry a GPS position
    photo_id = await push_visit_with_photo(client, rep_a, seeded, data)
    assert (await upload_all(client, rep_a, photo_id, data))["complete"] is True
    await web_sign_in(client, "boss")
    page = await client.get(f"/customers/{seeded.customers_a[0]}")
    assert f'data-testid="visit-photo-thumbnail-{photo_id}"' in page.text
    full = await client.get(f"/photos/{photo_id}")
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg" and full.content == data
    thumb = await client.get(f"/photos/{photo_id}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.content)) as small:
        assert max(small.size) <= 320
        assert not small.getexif()  # no GPS, no camera
        assert b"Exif" not in thumb.content


async def test_who_may_upload_and_see_a_photo(
    client: Client, seeded: World, rep_a: dict[str, str], engine: Engine
) -> None:
    data = jpeg_with_gps(200, 100)
    photo_id = await push_visit_with_photo(client, rep_a, seeded, data)
    rep_b = await login(client, "rep.b")  # another team: its photo is unknown to them (issue 15, item 9)
    assert (await client.get(f"/api/photos/{photo_id}/upload", headers=rep_b)).status_code == 404
    assert (await put_chunk(client, rep_b, photo_id, 0, data)).status_code == 404
    with write_session(engine) as session:  # a teammate sees the photo, but only its rep uploads it
        create_user(session, username="rep.a2", password=PASSWORD, role=Role.REP, territory=TERRITORY_A)
    teammate = await login(client, "rep.a2")
    assert (await client.get(f"/api/photos/{photo_id}/upload", headers=teammate)).status_code == 403
    assert (await client.get(f"/api/photos/{photo_id}/upload")).status_code == 401
    assert (await client.get(f"/api/photos/{new_id()}/upload", headers=rep_a)).status_code == 404
    assert (await upload_all(client, rep_a, photo_id, data))["complete"] is True
    with write_session(engine) as session:
        create_user(session, username="sup.b", password=PASSWORD, role=Role.SUPERVISOR, territory=TERRITORY_B)
        create_user(session, username="sup.a", password=PASSWORD, role=Role.SUPERVISOR, territory=TERRITORY_A)
    for username, status in (("sup.b", 404), ("sup.a", 200), ("boss", 200)):  # boss: the whole company
        await web_sign_in(client, username)
        assert (await client.get(f"/photos/{photo_id}")).status_code == status, username
        assert (await client.get(f"/photos/{photo_id}/thumbnail")).status_code == status, username
        if status == 404:  # as an unknown photo is answered: nothing tells that it exists
            other_id = new_id()
            known, unknown = await client.get(f"/photos/{photo_id}"), await client.get(f"/photos/{other_id}")
            assert known.status_code == unknown.status_code == 404
            assert known.text.replace(photo_id, "<id>") == unknown.text.replace(other_id, "<id>")
        page = await client.get(f"/customers/{seeded.customers_a[0]}")
        assert (f'data-testid="visit-photo-{photo_id}"' in page.text) is (status == 200), username
    client.cookies.clear()
    anonymous = await client.get(f"/photos/{photo_id}", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and anonymous.headers["location"].startswith("/login")


async def test_a_photo_record_is_checked_like_any_record(client: Client, seeded: World, rep_a: dict[str, str]) -> None:
    data = b"\xff\xd8\xff" + b"\x00" * 100
    for extra, status in (
        ({"size": 11 * 1024 * 1024}, 422),  # over the size limit
        ({"content_type": "application/pdf"}, 422),
        ({"sha256": "not a digest"}, 422),
    ):
        visit_id, photo_id = new_id(), new_id()
        ops = [
            make_op(1, "visit", visit_id, visit_fields(seeded.customers_a[0], seeded.today, 10)),
            make_op(2, "visit_photo", photo_id, photo_fields(seeded.customers_a[0], visit_id, data, **extra)),
        ]
        response = await client.post("/api/sync/push", json=push_body(ops, device_id=DEVICE_A), headers=rep_a)
        assert response.status_code == status, (extra, response.text)
    # A photo of a visit at another customer is refused, naming why.
    visit_id = new_id()
    ops = [
        make_op(1, "visit", visit_id, visit_fields(seeded.customers_a[0], seeded.today, 10)),
        make_op(2, "visit_photo", new_id(), photo_fields(seeded.customers_a[1], visit_id, data)),
    ]
    response = await client.post("/api/sync/push", json=push_body(ops, device_id=DEVICE_A), headers=rep_a)
    assert response.status_code == 422 and response.json()["error"]["details"]["reason"] == "visit_of_another_customer"
