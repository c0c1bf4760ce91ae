"""Fuzzing the photo upload on a real photo (the schema-wide fuzz in test_api_fuzz.py only meets unknown ids):

- schemathesis cases of /api/photos generated from the OpenAPI schema, aimed at a photo that exists;
- random chunks (offsets, lengths, right and wrong bytes, repeats) sent by hypothesis: never a 5xx, and
  whatever was refused, the server holds a prefix of the photo and finishes it once the right bytes come.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from litestar import Litestar
from litestar import testing as litestar_testing
from schemathesis import GenerationMode
from schemathesis.python import asgi
from sqlalchemy.engine import Engine

from server.db import read_session
from server.domains.photos.models import VisitPhotoContent
from shared.ids import new_id
from shared.photos import sha256_hex
from tests.integration.conftest import PASSWORD, World, make_op, push_body, visit_fields
from tests.integration.test_api_fuzz import CHECKS, NEGATIVE_STATUSES

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 200  # 51,204 bytes
ANSWERS = {200, 409, 413, 422}


@pytest.fixture
def api(app: Litestar, seeded: World) -> Iterator[litestar_testing.TestClient[Litestar]]:
    with litestar_testing.TestClient(app=app) as client:
        yield client


def new_photo(api: litestar_testing.TestClient[Litestar], headers: dict[str, str], world: World) -> str:
    visit_id, photo_id, device = new_id(), new_id(), f"fuzz-{new_id()}"
    fields = {
        "customer_id": world.customers_a[0],
        "visit_id": visit_id,
        "size": len(PHOTO),
        "sha256": sha256_hex(PHOTO),
        "content_type": "image/jpeg",
        "taken_at": "2026-11-27T10:00:00+08:00",
    }
    ops = [
        make_op(1, "visit", visit_id, visit_fields(world.customers_a[0], world.today, 9), device_id=device),
        make_op(2, "visit_photo", photo_id, fields, device_id=device),
    ]
    response = api.post("/api/sync/push", json=push_body(ops, device_id=device), headers=headers)
    assert response.status_code == 200, response.text
    return photo_id


def rep_headers(api: litestar_testing.TestClient[Litestar]) -> dict[str, str]:
    token = api.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_schema_cases_on_a_real_photo(app: Litestar, api: litestar_testing.TestClient[Litestar], seeded: World) -> None:
    headers = rep_headers(api)
    config = schemathesis.Config.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": [*NEGATIVE_STATUSES]}}}
    )
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    photo_operations = [operation for operation in operations if operation.path.startswith("/api/photos")]
    assert len(photo_operations) == 2
    statuses: set[int] = set()
    for operation in photo_operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            photo_id = new_photo(api, headers, seeded)

            def aimed(
                case: schemathesis.Case, photo_id: str = photo_id, mode: GenerationMode = mode
            ) -> schemathesis.Case:
                if mode == GenerationMode.POSITIVE and case.path_parameters is not None:
                    case.path_parameters["photo_id"] = photo_id
                return case

            @hypothesis.settings(
                max_examples=30,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[hypothesis.Phase.generate],
            )
            @given(case=operation.as_strategy(generation_mode=mode).map(aimed))
            def run(case: schemathesis.Case) -> None:
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                statuses.add(response.status_code)

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE, operation.label
    asgi.shutdown_lifespans()  # the lifespan schemathesis started for the app
    assert 200 in statuses  # the cases reached the photo, not only the door


chunks = st.lists(
    st.tuples(
        st.sampled_from(["at_received", "before", "after", "anywhere"]),
        st.integers(min_value=0, max_value=70_000),  # length (0 and past the end included)
        st.booleans(),  # the photo's own bytes, or garbage
    ),
    min_size=1,
    max_size=12,
)


def test_random_chunks_never_break_the_upload(
    api: litestar_testing.TestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = rep_headers(api)

    @hypothesis.settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(steps=chunks, seed=st.integers(min_value=0, max_value=2**16))
    def run(steps: list[tuple[str, int, bool]], seed: int) -> None:
        photo_id = new_photo(api, headers, seeded)
        for where, length, right in steps:
            held = status_of(api, headers, photo_id)
            if held["complete"]:
                break
            start = {
                "at_received": held["received"],
                "before": max(0, held["received"] - length),
                "after": held["received"] + 1,
                "anywhere": seed % (len(PHOTO) + 10),
            }[where]
            body = PHOTO[start : start + length] if right else bytes([seed % 251]) * length
            answer = api.put(
                f"/api/photos/{photo_id}/chunks/{start}",
                content=body,
                headers={**headers, "Content-Type": "application/octet-stream"},
            )
            assert answer.status_code in ANSWERS, (start, length, right, answer.text)
            after = status_of(api, headers, photo_id)
            assert 0 <= after["received"] <= len(PHOTO)
        # Whatever happened, the right bytes from where the server stands finish the photo, whole.
        held = status_of(api, headers, photo_id)
        if not held["complete"]:
            rest = api.put(
                f"/api/photos/{photo_id}/chunks/{held['received']}",
                content=PHOTO[held["received"] :],
                headers={**headers, "Content-Type": "application/octet-stream"},
            )
            if rest.status_code == 422:  # garbage made it to the end: the upload started over from 0
                rest = api.put(
                    f"/api/photos/{photo_id}/chunks/0",
                    content=PHOTO,
                    headers={**headers, "Content-Type": "application/octet-stream"},
                )
            assert rest.status_code == 200 and rest.json()["complete"], rest.text
        with read_session(engine) as session:
            content = session.get(VisitPhotoContent, photo_id)
            assert content is not None and content.content == PHOTO

    run()


def status_of(api: litestar_testing.TestClient[Litestar], headers: dict[str, str], photo_id: str) -> dict[str, Any]:
    response = api.get(f"/api/photos/{photo_id}/upload", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
