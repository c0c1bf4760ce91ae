"""Finding a product in the catalogue at the counter: with 200+ products, the order form shows this customer's
usual products first and, as the rep types, the products whose name or spec holds what was typed (in the
order: usual ones, names that start with it, the rest), a dozen at a time. Pure functions: the store's
records in, products out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

SHOWN = 12  # chips on the order form at once: more would push the lines below the fold


def normalise(text: str) -> str:
    """Case, spaces and full-width forms folded (a rep types "ｍｌ" or "ML" for "ml")."""
    folded = "".join(chr(ord(char) - 0xFEE0) if 0xFF01 <= ord(char) <= 0xFF5E else char for char in text)
    return "".join(folded.split()).casefold()


def usual_products(orders: Iterable[dict[str, Any]]) -> list[str]:
    """Product ids of a customer's orders, most often ordered first (the latest order breaks ties)."""
    counts: Counter[str] = Counter()
    latest: dict[str, str] = {}
    for order in orders:
        for line in order.get("lines") or []:
            product_id = str(line.get("product_id") or "")
            if product_id:
                counts[product_id] += 1
                latest[product_id] = max(latest.get(product_id, ""), str(order.get("ordered_at") or ""))
    return sorted(counts, key=lambda product_id: (-counts[product_id], _descending(latest[product_id])))


def _descending(text: str) -> tuple[int, ...]:
    return tuple(-ord(char) for char in text)


def find_products(
    products: Sequence[dict[str, Any]], query: str, usual: Sequence[str] = (), limit: int = SHOWN
) -> list[dict[str, Any]]:
    """The products to show for `query` (all of them when empty), best first, at most `limit`."""
    wanted = normalise(query)
    rank_of_usual = {product_id: rank for rank, product_id in enumerate(usual)}
    scored = []
    for index, product in enumerate(products):
        name = normalise(str(product.get("name") or ""))
        text = name + normalise(str(product.get("spec") or "")) + normalise(str(product.get("pinyin") or ""))
        if wanted and wanted not in text:
            continue
        usual_rank = rank_of_usual.get(str(product.get("id")), len(rank_of_usual))
        starts = 0 if wanted and name.startswith(wanted) else 1
        scored.append((usual_rank, starts, index, product))
    scored.sort(key=lambda item: item[:3])
    return [product for *_, product in scored[:limit]]
