"""Demo visit photos (docs/photos.md): a few of the last week's visits in person carry a photo, most taken with
the app's camera (marked live, the stamp of time, place and customer burned in, taken at the door), a few
picked from the gallery, one taken far from its customer, so the customer pages show each source and
/visits/flagged a photo flag. A random stream of its own: the rest of the demo is unchanged."""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlmodel import Session

from server.actor import Actor
from server.clock import now_iso
from server.domains.photos.models import VisitPhotoContent
from server.domains.photos.service import put_visit_photo
from server.domains.photos.thumbnails import make_thumbnail
from server.domains.visits.flags import visit_flag_rules
from server.domains.visits.models import Visit
from server.settings import Settings
from shared.enums import PhotoSource
from shared.ids import new_id
from shared.photos import sha256_hex, stamp_text

FONT = Path(__file__).resolve().parents[1] / "assets" / "fonts" / "wqy-microhei.ttf"
SIZE = (480, 360)
RECENT_DAYS = 7
SHELF_COLOURS = ((196, 64, 52), (52, 120, 196), (240, 190, 40), (60, 160, 90), (230, 230, 230))


def _picture(rng: random.Random, stamp: str | None) -> bytes:
    """A shelf of packs, as a rep photographs a display; with the stamp along its bottom when live."""
    image = Image.new("RGB", SIZE, (238, 232, 220))
    draw = ImageDraw.Draw(image, "RGBA")
    for shelf in range(3):
        top = 30 + shelf * 100
        draw.rectangle((20, top + 80, SIZE[0] - 20, top + 88), fill=(120, 90, 60))
        x = 30
        while x < SIZE[0] - 60:
            width = rng.randint(28, 50)
            draw.rectangle((x, top + rng.randint(10, 30), x + width, top + 80), fill=rng.choice(SHELF_COLOURS))
            x += width + 6
    if stamp is not None:
        font = ImageFont.truetype(str(FONT), 15) if FONT.exists() else ImageFont.load_default(15)
        draw.rectangle((0, SIZE[1] - 26, SIZE[0], SIZE[1]), fill=(0, 0, 0, 150))
        draw.text((8, SIZE[1] - 22), stamp, font=font, fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def seed_photo(
    session: Session,
    rng: random.Random,
    rep: Actor,
    visit: Visit,
    customer_name: str,
    place: tuple[float, float],
    settings: Settings,
    today: dt.date,
    *,
    far: bool = False,
) -> PhotoSource | None:
    """Maybe a photo of this visit (checked out, in person, in the last week): its source, None when none.
    `far`: if live, taken 2 km north of the customer (flagged photo_far_from_customer)."""
    if visit.check_out_at is None or visit.visit_type == "phone" or (today - visit.visit_day).days >= RECENT_DAYS:
        return None
    draw = rng.random()
    if draw >= 0.15:
        return None
    source = PhotoSource.GALLERY if draw < 0.025 else PhotoSource.LIVE
    start, end = dt.datetime.fromisoformat(visit.check_in_at), dt.datetime.fromisoformat(visit.check_out_at)
    taken = start + (end - start) * rng.uniform(0.2, 0.8)
    lat, lng = place
    if far and source is PhotoSource.LIVE:
        lat += 0.018
    lat, lng = round(lat + rng.uniform(-0.0002, 0.0002), 6), round(lng + rng.uniform(-0.0002, 0.0002), 6)
    stamp = stamp_text(taken, (lat, lng), customer_name) if source is PhotoSource.LIVE else None
    content = _picture(rng, stamp)
    fields: dict[str, object] = {
        "customer_id": visit.customer_id,
        "visit_id": visit.id,
        "size": len(content),
        "sha256": sha256_hex(content),
        "content_type": "image/jpeg",
        "taken_at": taken.isoformat(timespec="seconds"),
        "source": source.value,
        "lat": lat,
        "lng": lng,
        "accuracy": round(rng.uniform(5, 30), 1),
    }
    photo = put_visit_photo(session, rep, new_id(), fields, flag_rules=visit_flag_rules(settings), tz=settings.tz)
    session.add(VisitPhotoContent(photo_id=photo.id, content=content, thumbnail=make_thumbnail(content)))
    photo.uploaded_at = min(now_iso(), visit.received_at or now_iso())
    session.add(photo)
    return source
