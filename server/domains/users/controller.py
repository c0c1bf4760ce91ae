"""POST /api/auth/login, /refresh, /logout and GET /api/auth/me."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.security.jwt import Token
from msgspec import Meta, Struct

from server.actor import Actor
from server.api import ApiController
from server.auth import SessionJWTAuth
from server.db import write_session
from server.dependencies import AppSettings, CurrentActor, DatabaseEngine, api_dependencies
from server.domains.audit.service import audit
from server.domains.chain.recording import register_key
from server.domains.devices.service import register_device
from server.domains.ownership.service import claim_standing
from server.domains.routes.ordering import route_rules
from server.domains.users.sessions import API_SESSION, SessionGrant, open_session, refresh, revoke_session
from server.domains.users.signin import client_address, hashing_limiter, sign_in
from server.domains.visits.flags import visit_flag_rules
from server.errors import Unauthorized, error_responses
from sync.protocol import SigningKey

MAX_PASSWORD_LENGTH = 1024  # argon2 hashes any length; a bound keeps a sign-in cheap
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL (the username is stored by sign-in throttling)


class LoginRequest(Struct, forbid_unknown_fields=True):
    """Unknown fields and wrong types are refused (400 invalid_request), like every API body."""

    username: Annotated[str, Meta(max_length=60, pattern=NO_NUL)]
    password: Annotated[str, Meta(max_length=MAX_PASSWORD_LENGTH)]
    # The phone's own id (its LocalStore device_id): the sign-in is bound to it, and it can be revoked.
    device_id: Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")] | None = None
    device_name: Annotated[str, Meta(max_length=100, pattern=NO_NUL)] | None = None
    platform: Annotated[str, Meta(max_length=40, pattern=NO_NUL)] | None = None
    # The phone's signing key (sync/chain.py) and its first signed op number: registered with the phone, once.
    public_key: Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")] | None = None
    signed_from_seq: Annotated[int, Meta(ge=1, le=2**31 - 1)] | None = None


class RefreshRequest(Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=200, pattern=NO_NUL)]


class UserOut(Struct):
    id: str
    username: str
    display_name: str
    role: str
    territory: str | None


class LoginAnswer(Struct):
    """`token`: the access token (Bearer), good for `expires_in` seconds; `refresh_token` gets the next pair."""

    token: str
    user: UserOut
    refresh_token: str
    expires_in: int
    # The company's time zone (TIMEZONE): the phone's business day, whatever zone the phone is set to.
    timezone: str
    # The company's visit flag limits (shared/visit_rules.py): the phone says before 签退 what will be flagged.
    visit_rules: dict[str, Any]
    # What the phone orders the rest of its day with (shared/route_order.py RouteRules), as the planner does.
    route_rules: dict[str, Any]
    # The approval rules the phone applies offline to orders and new customers (shared/approvals.py).
    approval_rules: dict[str, Any]
    # A rep's claim limits and claims this month (shared/pool.py ClaimStanding); {} for others.
    pool_rules: dict[str, Any]


class RefreshAnswer(Struct):
    token: str
    refresh_token: str
    expires_in: int
    user: UserOut


class MeAnswer(Struct):
    user: UserOut


def user_out(actor: Actor) -> UserOut:
    return UserOut(actor.id, actor.username, actor.display_name, actor.role.value, actor.territory)


def _access_token(state: State, actor: Actor, grant: SessionGrant) -> str:
    jwt_auth: SessionJWTAuth = state.jwt_auth
    return jwt_auth.create_token(identifier=actor.id, token_extras={"sid": grant.session_id})


class AuthController(ApiController):
    path = "/api/auth"
    tags = ("auth",)
    dependencies = api_dependencies()

    @post(
        "/login",
        status_code=200,
        security=[{}],  # the one API call without a token
        responses=error_responses(400, 401, 403, 413, 429),
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginRequest],
        state: State,
        settings: AppSettings,
        engine: DatabaseEngine,
    ) -> LoginAnswer:
        """Exchange a username and password for an access token (send it as `Authorization: Bearer <token>`)
        and a refresh token. Send `device_id` from a phone: the sign-in is bound to it (a revoked phone: 403).

        Repeated failures lock the username (and the address) out for a while: 429 with Retry-After."""
        address = client_address(request)
        outcome = await sign_in(engine, data.username, data.password, address, hashing_limiter(state))
        outcome.raise_if_locked()
        actor = outcome.actor
        if actor is None:
            raise Unauthorized("wrong username or password")

        def open_phone_session() -> tuple[SessionGrant, dict[str, Any], dict[str, Any]]:
            with write_session(engine) as session:
                if data.device_id:
                    phone = register_device(
                        session, actor, data.device_id, name=data.device_name, platform=data.platform
                    )
                    if data.public_key:
                        key = SigningKey(data.public_key, data.signed_from_seq or 1)
                        register_key(session, actor, data.device_id, key, via="sign_in", device=phone)
                grant = open_session(
                    session, actor, kind=API_SESSION, lifetime=settings.token_lifetime, device_id=data.device_id
                )
                rules = route_rules(session, settings, actor.id, actor.territory).as_dict()
                return grant, rules, claim_standing(session, settings, actor)

        grant, rules, claims = await anyio.to_thread.run_sync(open_phone_session)
        assert grant.refresh_token is not None
        return LoginAnswer(
            token=_access_token(state, actor, grant),
            user=user_out(actor),
            refresh_token=grant.refresh_token,
            expires_in=int(settings.access_token_lifetime.total_seconds()),
            timezone=settings.timezone,
            visit_rules=visit_flag_rules(settings).as_dict(),
            route_rules=rules,
            approval_rules=settings.approval_rules.for_phones(),
            pool_rules=claims,
        )

    @post(
        "/refresh",
        status_code=200,
        sync_to_thread=True,
        security=[{}],  # the refresh token is the credential
        responses=error_responses(400, 401, 403, 413),
    )
    def refresh(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RefreshRequest],
        state: State,
        settings: AppSettings,
        engine: DatabaseEngine,
    ) -> RefreshAnswer:
        """A new access token and a new refresh token for a refresh token, which is then used up. Using one
        twice revokes the sign-in (401); a revoked phone gets 403 `device_revoked`."""
        with write_session(engine) as session:  # in the handler's thread (server/dependencies.py says why)
            outcome = refresh(session, data.refresh_token, settings.token_lifetime, client_address(request))
        actor, grant = outcome.raise_if_refused()
        assert grant.refresh_token is not None
        return RefreshAnswer(
            token=_access_token(state, actor, grant),
            refresh_token=grant.refresh_token,
            expires_in=int(settings.access_token_lifetime.total_seconds()),
            user=user_out(actor),
        )

    @post("/logout", status_code=204, sync_to_thread=True, responses=error_responses(401, 403))
    def logout(self, request: Request[Actor, Token, Any], actor: CurrentActor, engine: DatabaseEngine) -> None:
        """Sign out: this sign-in's access and refresh tokens stop working at once."""
        with write_session(engine) as session:
            if actor.session_id and revoke_session(session, actor.session_id):
                audit(
                    session,
                    "sign_out",
                    actor_id=actor.id,
                    actor_name=actor.username,
                    ip=client_address(request),
                    details={"session_id": actor.session_id, "device_id": actor.device_id},
                )

    @get("/me", responses=error_responses(401, 403))
    async def me(self, actor: CurrentActor) -> MeAnswer:
        return MeAnswer(user=user_out(actor))
