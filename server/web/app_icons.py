"""The desk's home-screen icons (web app manifest, server/web/manifest.py), drawn with Pillow.

The PNGs are committed under assets/web/icons/; draw them again after a change with
`python -m server.web.app_icons`. A route of three stops on the bar's navy, arriving at a pin.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parents[2] / "assets" / "web" / "icons"
NAVY, WHITE, AMBER = (16, 42, 67), (255, 255, 255), (240, 180, 41)
# name -> (size in px, maskable: the drawing kept inside the middle 80% a launcher may cut to a circle)
ICON_FILES = {
    "icon-192.png": (192, False),
    "icon-512.png": (512, False),
    "icon-maskable-512.png": (512, True),
    "apple-touch-icon.png": (180, False),
}


def draw_icon(size: int, *, maskable: bool = False) -> Image.Image:
    scale = 4  # drawn large, then scaled down: smooth edges without anti-aliasing of our own
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:
        pen.rectangle((0, 0, big, big), fill=NAVY)
    else:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=NAVY)
    inset = 0.2 if maskable else 0.12  # the safe zone of a maskable icon is the middle 80%

    def at(x: float, y: float) -> tuple[float, float]:
        span = 1 - 2 * inset
        return (big * (inset + span * x), big * (inset + span * y))

    stops = [at(0.14, 0.84), at(0.52, 0.68), at(0.26, 0.44), at(0.72, 0.28)]
    line = max(2, round(big * 0.045))
    pen.line(stops, fill=WHITE, width=line, joint="curve")
    dot = big * 0.05
    for x, y in stops[:-1]:
        pen.ellipse((x - dot, y - dot, x + dot, y + dot), fill=NAVY, outline=WHITE, width=line)
    # The destination: a pin drawn over the route's end, its point below.
    cx, cy = stops[-1]
    radius = big * 0.12
    tip = cy + radius * 1.55
    pen.polygon(
        [(cx - radius * 0.82, cy + radius * 0.5), (cx + radius * 0.82, cy + radius * 0.5), (cx, tip)], fill=AMBER
    )
    pen.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=AMBER)
    hole = radius * 0.42
    pen.ellipse((cx - hole, cy - hole, cx + hole, cy + hole), fill=NAVY)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main(folder: Path = ICONS) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (size, maskable) in ICON_FILES.items():
        draw_icon(size, maskable=maskable).save(folder / name, optimize=True)
        print(folder / name, file=sys.stderr)


if __name__ == "__main__":
    main()
