"""GET/POST /api/products, PUT /api/products/{id}: the catalogue (phones receive it by pull, kind "product")."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get, post, put
from litestar.params import JSONBody
from msgspec import Meta, Struct

from server.api import ApiController
from server.changes.log import record_answer
from server.db import write_session
from server.dependencies import CurrentActor, DatabaseEngine, ReadSession, api_dependencies
from server.domains.guards import NO_NUL, RecordIdPath, known_query, supervisors
from server.domains.products.service import get_product, list_products, put_product
from server.errors import error_responses
from shared.ids import new_id
from shared.records import MAX_UNIT_PRICE

Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=NO_NUL)]
Spec = Annotated[str, Meta(max_length=100, pattern=NO_NUL)]
Unit = Annotated[str, Meta(max_length=20, pattern=NO_NUL)]
Price = Annotated[float, Meta(ge=0, le=MAX_UNIT_PRICE)]


class ProductCreate(Struct, forbid_unknown_fields=True):
    name: Name
    unit_price: Price
    spec: Spec | None = None
    unit: Unit | None = None
    active: bool = True


class ProductUpdate(Struct, forbid_unknown_fields=True):
    """Only the fields given change; `active: false` stops offering a product (old orders keep naming it)."""

    name: Name | None = None
    unit_price: Price | None = None
    spec: Spec | None = None
    unit: Unit | None = None
    active: bool | None = None


class ProductAnswer(Struct):
    """A product as the API answers it: every column of `products`, dates as ISO text."""

    name: str
    spec: str | None
    unit: str | None
    unit_price: float
    active: bool
    id: str
    updated_at: str


class ProductController(ApiController):
    path = "/api/products"
    tags = ("products",)
    dependencies = api_dependencies()

    @get("", sync_to_thread=True, guards=[known_query()], responses=error_responses(400, 401, 403))
    def index(self, session: ReadSession) -> list[ProductAnswer]:
        """The catalogue, by name, products no longer offered included (`active: false`)."""
        return [record_answer(ProductAnswer, p) for p in list_products(session)]

    @post(
        "",
        status_code=201,
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403, 413, 422),
    )
    def create(self, actor: CurrentActor, engine: DatabaseEngine, data: JSONBody[ProductCreate]) -> ProductAnswer:
        """Add a product (supervisors); phones receive it with their next pull."""
        with write_session(engine) as session:  # in the handler's thread (server/dependencies.py says why)
            product = put_product(session, actor, new_id(), msgspec.structs.asdict(data))
            return record_answer(ProductAnswer, product)

    @put(
        "/{product_id:str}",
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403, 404, 413, 422),
    )
    def update(
        self,
        actor: CurrentActor,
        engine: DatabaseEngine,
        product_id: RecordIdPath,
        data: JSONBody[ProductUpdate],
    ) -> ProductAnswer:
        """Change a product's name, spec, unit, list price or whether it is offered (supervisors)."""
        fields = {name: value for name, value in msgspec.structs.asdict(data).items() if value is not None}
        with write_session(engine) as session:
            get_product(session, product_id)
            return record_answer(ProductAnswer, put_product(session, actor, product_id, fields))
