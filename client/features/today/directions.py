"""Getting there: a link that opens navigation to a customer, in the phone's map app or a web map. No I/O.

Coordinates on the phone are the device's GPS (WGS-84): the Android `geo:` URI takes them as they are; Amap
and Baidu are told so (`coordinate=wgs84`, `coord_type=wgs84`) and shift them onto their own maps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

Point = tuple[float, float]  # (lat, lng)

APP_SOURCE = "routecrm"  # Baidu's `src`: who is asking


def customer_point(customer: Mapping[str, Any] | None) -> Point | None:
    """Where the customer is, when the record knows it."""
    if not customer:
        return None
    lat, lng = customer.get("lat"), customer.get("lng")
    if isinstance(lat, bool) or isinstance(lng, bool):
        return None
    if isinstance(lat, int | float) and isinstance(lng, int | float) and -90 <= lat <= 90 and -180 <= lng <= 180:
        return float(lat), float(lng)
    return None


def coordinates(point: Point) -> str:
    return f"{point[0]:.6f},{point[1]:.6f}"


def geo_link(point: Point, name: str) -> str:
    """Android: `geo:lat,lng?q=lat,lng(name)` opens the rep's map app (Amap, Baidu, Google...) with a pin."""
    where = coordinates(point)
    return f"geo:{where}?q={where}({quote(name, safe='')})"


def amap_link(point: Point, name: str) -> str:
    """Amap's web marker (opens the Amap app when installed: `callnative`)."""
    lat, lng = point
    query = {"position": f"{lng:.6f},{lat:.6f}", "name": name, "coordinate": "wgs84", "callnative": "1"}
    return "https://uri.amap.com/marker?" + urlencode(query)


def baidu_link(point: Point, name: str) -> str:
    """Baidu Maps' web marker."""
    query = {
        "location": coordinates(point),
        "title": name,
        "content": name,
        "output": "html",
        "coord_type": "wgs84",
        "src": APP_SOURCE,
    }
    return "https://api.map.baidu.com/marker?" + urlencode(query)


def navigation_link(point: Point, name: str, *, android_app: bool) -> str:
    """The one-tap link: `geo:` in the Android app, else (browser, other systems) Amap's web marker."""
    return geo_link(point, name) if android_app else amap_link(point, name)
