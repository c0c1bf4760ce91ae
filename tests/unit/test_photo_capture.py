"""Photo evidence on the phone (docs/photos.md): a gallery pick and a photo from the app's camera view carry
their source, the phone's clock and its GPS position in the op; a live photo has the stamp (time, place,
customer) burned in; the phone warns before 签退 when the visit's type needs a live photo; the camera view is
a seam a test fakes (the real one is flet-camera's)."""

from __future__ import annotations

import datetime as dt
import io
import sys
from typing import Any

import pytest
import time_machine
from PIL import Image

from client.features.photos import camera as camera_module
from client.features.photos.stamp import burn_stamp
from client.location import Location
from client.shell.app import App
from shared.enums import PhotoSource, RecordKind, VisitFlag
from shared.photos import stamp_text
from shared.visit_rules import VisitFlagRules
from tests.unit.helpers import pulled
from tests.unit.test_client_visit_flow import TZ, USER
from tests.unit.test_client_visit_flow import app as app

NOW = dt.datetime(2026, 11, 27, 10, 7, 30, tzinfo=TZ)
CLINIC = (38.7526, 115.24)


def a_jpeg(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 220, 240)).save(out, format="JPEG")
    return out.getvalue()


def test_the_stamp_names_time_place_and_customer() -> None:
    taken = dt.datetime(2026, 12, 7, 10, 5, 42, tzinfo=TZ)
    assert stamp_text(taken, CLINIC, " 固店村卫生室 ") == "2026-12-07 10:05 +08:00 · 38.75260, 115.24000 · 固店村卫生室"
    assert stamp_text(taken, None, "固店村卫生室") == "2026-12-07 10:05 +08:00 · 无定位 · 固店村卫生室"


def test_the_stamp_is_burned_into_the_bottom_of_the_photo() -> None:
    photo = a_jpeg()
    stamped, burned = burn_stamp(photo, stamp_text(NOW, CLINIC, "固店村卫生室"))
    assert burned and stamped != photo
    with Image.open(io.BytesIO(stamped)) as image:
        assert image.format == "JPEG" and image.size == (640, 480)
        top, bottom = image.getpixel((320, 10)), image.getpixel((2, 478))
    assert sum(top) > 600 and sum(bottom) < 450  # the sky-blue photo, a dark band along its bottom


def test_a_narrow_photo_gets_a_smaller_stamp_that_still_fits() -> None:
    stamped, burned = burn_stamp(a_jpeg(200, 600), stamp_text(NOW, CLINIC, "固店村卫生室"))
    assert burned and Image.open(io.BytesIO(stamped)).size == (200, 600)


def test_without_pillow_or_with_unreadable_bytes_the_photo_is_kept_as_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    photo = a_jpeg()
    assert burn_stamp(b"\xff\xd8\xff not really a jpeg", "x") == (b"\xff\xd8\xff not really a jpeg", False)
    monkeypatch.setitem(sys.modules, "PIL", None)  # a phone package without Pillow
    assert burn_stamp(photo, "x") == (photo, False)


class FakeCamera:
    """The camera view's seam: 拍照 gives these bytes at once."""

    def __init__(self, app: App, data: bytes) -> None:
        self.app, self.data = app, data

    def take(self, visit: dict[str, Any], lang: str) -> None:
        self.app.photos.photo_shot(visit, self.data)


def on_a_visit(app: App, rules: VisitFlagRules) -> dict[str, Any]:
    store = app.service.store
    fields = {"name": "固店村卫生室", "kind": "clinic", "status": "active", "lat": CLINIC[0], "lng": CLINIC[1]}
    clinic = pulled(store, RecordKind.CUSTOMER, fields)
    pulled(store, RecordKind.ROUTE_PLAN, {"rep_id": USER["id"], "day": "2026-11-27", "customer_ids": [clinic]})
    app.service.keep_company("Asia/Shanghai", rules.as_dict())
    app.actions.open_customer(clinic)
    app.actions.start_visit(clinic)
    app.actions.check_in()
    visit = app.state.visit.visit
    assert visit is not None
    return visit


def photo_ops(app: App) -> list[dict[str, Any]]:
    ops = app.service.store.pending_ops(100)
    return [{"record_id": op.record_id, "fields": op.fields} for op in ops if op.kind == RecordKind.VISIT_PHOTO.value]


def test_a_gallery_pick_carries_its_source_the_phones_clock_and_position(app: App) -> None:
    visit = on_a_visit(app, VisitFlagRules())
    app.locator = lambda timeout: Location(38.7527, 115.2401, 9.0)
    with time_machine.travel(NOW, tick=False):
        app.photos.photo_picked(dict(visit), a_jpeg())
    (op,) = photo_ops(app)
    fields = op["fields"]
    assert fields["source"] == "gallery" and fields["taken_at"] == NOW.isoformat(timespec="seconds")
    assert (fields["lat"], fields["lng"], fields["accuracy"]) == (38.7527, 115.2401, 9.0)
    assert [(p.source, p.photo_id) for p in app.state.visit.photos] == [("gallery", op["record_id"])]


def test_a_photo_from_the_camera_view_is_live_and_stamped(app: App) -> None:
    visit = on_a_visit(app, VisitFlagRules())
    photo = a_jpeg()
    app.photos.camera = FakeCamera(app, photo)
    app.locator = lambda timeout: None  # no fix: the stamp says so, the op has no place
    with time_machine.travel(NOW, tick=False):
        app.actions.take_photo()
    (op,) = photo_ops(app)
    assert op["fields"]["source"] == PhotoSource.LIVE.value and "lat" not in op["fields"]
    kept = app.photos.files.read(op["record_id"])
    assert kept is not None and kept != photo and op["fields"]["sha256"] != ""
    assert app.state.visit.photos[0].source == "live"
    assert visit["id"] == op["fields"]["visit_id"]


def test_without_a_camera_the_rep_is_told_to_use_the_gallery(app: App) -> None:
    on_a_visit(app, VisitFlagRules())
    app.photos.camera = None
    app.actions.take_photo()
    assert app.state.visit.photo_error == "无法打开相机，请从相册添加照片（将标记为相册照片）"


def test_before_check_out_the_rep_is_warned_of_a_missing_or_gallery_photo(app: App) -> None:
    rules = VisitFlagRules(min_minutes={}, photo_required={"first": "live"})  # a new customer: 初次拜访
    visit = on_a_visit(app, rules)
    app.render()
    form = app.state.visit
    assert form.photo_required == "live"
    assert VisitFlag.PHOTO_MISSING in form.expected_flags  # warned now: checked out now, it would be flagged
    app.photos.photo_picked(dict(visit), a_jpeg())
    assert VisitFlag.GALLERY_PHOTO in form.expected_flags and VisitFlag.PHOTO_MISSING not in form.expected_flags
    app.photos.camera = FakeCamera(app, a_jpeg())
    app.actions.take_photo()
    assert VisitFlag.GALLERY_PHOTO not in form.expected_flags


def test_the_camera_view_is_offered_only_where_flet_camera_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(camera_module.importlib.util, "find_spec", lambda name: None)
    assert camera_module.camera_available() is False


def test_a_photo_taken_just_after_check_in_takes_the_check_ins_position_without_asking_again(app: App) -> None:
    asked: list[float] = []

    def gps(timeout: float) -> Location:
        asked.append(timeout)
        return Location(38.7527, 115.2401, 9.0)

    app.locator = gps
    visit = on_a_visit(app, VisitFlagRules())  # 签到 asks the device once, and keeps the fix
    assert len(asked) == 1
    app.locator = lambda timeout: pytest.fail("the device is asked again for a fix found moments ago")
    app.photos.photo_picked(dict(visit), a_jpeg())
    (op,) = photo_ops(app)
    assert (op["fields"]["lat"], op["fields"]["lng"], op["fields"]["accuracy"]) == (38.7527, 115.2401, 9.0)


def test_without_a_fresh_fix_the_photo_asks_the_device(app: App) -> None:
    visit = on_a_visit(app, VisitFlagRules())  # no GPS at 签到: nothing to reuse
    app.locator = lambda timeout: Location(38.7, 115.2, 12.0)
    app.photos.photo_picked(dict(visit), a_jpeg())
    (op,) = photo_ops(app)
    assert (op["fields"]["lat"], op["fields"]["accuracy"]) == (38.7, 12.0)
