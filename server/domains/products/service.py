"""The product catalogue: supervisors add and change products; every phone pulls them (audience "*")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.log import EVERYONE_AUDIENCE, record_change, record_data
from server.clock import now_iso
from server.domains.access import check_fields
from server.domains.products.models import Product
from server.errors import Forbidden, NotFound
from shared.enums import RecordKind


def put_product(
    session: Session, actor: Actor, product_id: str, fields: Mapping[str, Any], *, path: str = "product"
) -> Product:
    """Create the product, or change the given fields (a price, `active: false` to stop offering it)."""
    if actor.is_rep:
        raise Forbidden("only supervisors keep the product catalogue", path=path)
    product = session.get(Product, product_id)
    check_fields(RecordKind.PRODUCT, fields, creating=product is None, path=path)
    if product is None:
        product = Product(id=product_id, updated_at=now_iso(), **fields)
    else:
        for name, value in fields.items():
            setattr(product, name, value)
        product.updated_at = now_iso()
    session.add(product)
    record_change(
        session,
        RecordKind.PRODUCT,
        product.id,
        audience=EVERYONE_AUDIENCE,
        territory=EVERYONE_AUDIENCE,
        data=record_data(product),
    )
    return product


def get_product(session: Session, product_id: str) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("no such product", path="product_id")
    return product


def list_products(session: Session, *, active_only: bool = False) -> list[Product]:
    query = select(Product)
    if active_only:
        query = query.where(col(Product.active).is_(True))
    return list(session.exec(query.order_by(col(Product.name))).all())


def products_by_id(session: Session, ids: Iterable[str]) -> dict[str, Product]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {p.id: p for p in session.exec(select(Product).where(col(Product.id).in_(wanted))).all()}
