"""FastAPI dependencies: the application state, the authenticated caller, role checks."""

import dataclasses
from collections.abc import Callable
from typing import Annotated, Final

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.api.errors import ApiError, api_error_from_auth
from server.auth.principal import Principal
from server.auth.service import AuthError
from server.state import AppState, get_state

#: roles that include others (PROTOCOL.md: a supervisor has everything an agent has)
IMPLIED_ROLES: Final[dict[str, frozenset[str]]] = {"supervisor": frozenset({"agent"})}

_bearer = HTTPBearer(auto_error=False, description="an access token from /api/v1/auth/login")


def get_app_state(request: Request) -> AppState:
    return get_state(request)


State = Annotated[AppState, Depends(get_app_state)]
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else ""


def _principal(request: Request, state: AppState, credentials: HTTPAuthorizationCredentials) -> Principal:
    try:
        principal = state.auth.load_principal(credentials.credentials)
    except AuthError as exc:
        error = api_error_from_auth(exc)
        error.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        raise error from None
    principal = dataclasses.replace(principal, address=_address(request))  # frozen: a copy
    request.state.principal = principal
    return principal


def current_user(request: Request, state: State, credentials: BearerCredentials) -> Principal:
    """The caller behind `Authorization: Bearer <access token>`; 401 not_authenticated otherwise."""
    if credentials is None:
        raise ApiError(
            "not_authenticated",
            "an access token is required (Authorization: Bearer …)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return _principal(request, state, credentials)


def optional_user(request: Request, state: State, credentials: BearerCredentials) -> Principal | None:
    """The caller when a valid access token came along, else None (never fails)."""
    if credentials is None:
        return None
    try:
        return _principal(request, state, credentials)
    except ApiError:
        return None


CurrentUser = Annotated[Principal, Depends(current_user)]
OptionalUser = Annotated[Principal | None, Depends(optional_user)]


def has_role(principal: Principal, role: str) -> bool:
    return role in principal.roles or any(role in IMPLIED_ROLES.get(r, ()) for r in principal.roles)


def require_role(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting callers with any of `roles` (a supervisor also counts as an agent)."""
    if not roles:
        raise ValueError("require_role needs at least one role")

    def check(principal: CurrentUser) -> Principal:
        if not any(has_role(principal, role) for role in roles):
            raise ApiError(
                "forbidden", f"this needs the role {' or '.join(roles)}", {"required": list(roles)}
            )
        return principal

    return check


AdminUser = Annotated[Principal, Depends(require_role("admin"))]
