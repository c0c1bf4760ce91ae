"""Finding a product at the counter (client/features/orders/catalogue.py): the customer's usual products first,
a search by name or spec in any width of characters, a dozen at a time."""

from __future__ import annotations

from typing import Any

from client.features.orders.catalogue import SHOWN, find_products, normalise, usual_products


def product(product_id: str, name: str, spec: str = "") -> dict[str, Any]:
    return {"id": product_id, "name": name, "spec": spec, "unit_price": 10.0}


CATALOGUE = [
    product("p1", "阿莫西林胶囊", "0.25g×24粒"),
    product("p2", "感冒灵颗粒", "10g×9袋"),
    product("p3", "一次性输液器", "带针 100 支"),
    product("p4", "复方阿莫西林颗粒", "0.125g×12袋"),
    product("p5", "医用口罩", "50只"),
]


def order(at: str, *product_ids: str) -> dict[str, Any]:
    return {"ordered_at": at, "lines": [{"product_id": product_id, "quantity": 1} for product_id in product_ids]}


def test_usual_products_are_the_most_ordered_then_the_latest() -> None:
    orders = [
        order("2026-11-01T09:00:00+08:00", "p2", "p3"),
        order("2026-11-15T09:00:00+08:00", "p3"),
        order("2026-11-20T09:00:00+08:00", "p5"),
    ]
    assert usual_products(orders) == ["p3", "p5", "p2"]
    assert usual_products([]) == []


def test_without_a_query_the_usual_products_come_first_then_the_catalogue() -> None:
    assert [item["id"] for item in find_products(CATALOGUE, "", usual=["p5", "p3"])] == ["p5", "p3", "p1", "p2", "p4"]


def test_a_query_finds_name_or_spec_names_starting_with_it_first() -> None:
    assert [item["id"] for item in find_products(CATALOGUE, "阿莫西林")] == ["p1", "p4"]
    assert [item["id"] for item in find_products(CATALOGUE, "阿莫西林", usual=["p4"])] == ["p4", "p1"]
    assert [item["id"] for item in find_products(CATALOGUE, "100支")] == ["p3"]  # spaces do not matter
    assert [item["id"] for item in find_products(CATALOGUE, "０.２５Ｇ")] == ["p1"]  # full-width typing
    assert find_products(CATALOGUE, "胰岛素") == []


def test_a_product_with_its_pinyin_is_found_by_it() -> None:
    with_pinyin = [{**CATALOGUE[1], "pinyin": "gml ganmaoling"}]
    assert find_products(with_pinyin, "GML") == with_pinyin


def test_a_large_catalogue_shows_a_dozen_at_a_time() -> None:
    large = [product(f"p{index}", f"产品{index:03d}") for index in range(300)]
    assert len(find_products(large, "")) == SHOWN
    assert [item["id"] for item in find_products(large, "产品29")] == [f"p{index}" for index in range(290, 300)]


def test_normalise_folds_case_width_and_spaces() -> None:
    assert normalise(" Ｍl 10 ") == "ml10"
