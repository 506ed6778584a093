"""Auth endpoints: login, refresh, logout, who am I, and creating users (admins)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, status

from server.api.deps import AdminUser, CurrentUser, OptionalUser, State
from server.api.errors import ApiError
from server.auth.service import create_user as create_user_row
from wire.auth import (
    CreateUserRequest,
    LoginRequest,
    LogoutRequest,
    LogoutResponse,
    RefreshRequest,
    TokenPair,
    UserInfo,
)
from wire.errors import ErrorResponse

router = APIRouter(tags=["auth"])

_ERR: dict[str, Any] = {"model": ErrorResponse}
_BODY_ERRORS: dict[int | str, dict[str, Any]] = {400: _ERR, 413: _ERR, 422: _ERR}
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {401: _ERR}


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else ""


@router.post(
    "/api/v1/auth/login",
    response_model=TokenPair,
    responses={**_BODY_ERRORS, **_AUTH_ERRORS, 429: _ERR},
    summary="Log in with a username and password",
)
def login(body: LoginRequest, request: Request, state: State) -> TokenPair:
    return state.auth.login(
        body.username, body.password, device_name=body.device_name, address=_address(request)
    )


@router.post(
    "/api/v1/auth/refresh",
    response_model=TokenPair,
    responses={**_BODY_ERRORS, **_AUTH_ERRORS},
    summary="Exchange a refresh token for a new pair (the old one stops working)",
)
def refresh(body: RefreshRequest, request: Request, state: State) -> TokenPair:
    return state.auth.refresh(body.refresh_token, address=_address(request))


@router.post(
    "/api/v1/auth/logout",
    response_model=LogoutResponse,
    responses={**_BODY_ERRORS, **_AUTH_ERRORS},
    summary="End the session of the access token and/or of the given refresh token",
)
def logout(
    request: Request,
    state: State,
    principal: OptionalUser,
    body: Annotated[LogoutRequest | None, Body()] = None,
) -> LogoutResponse:
    token = body.refresh_token if body is not None else None
    if principal is None and not token:
        raise ApiError("not_authenticated", "send a valid access token or the refresh token to revoke")
    revoked = state.auth.logout(principal=principal, refresh_token=token, address=_address(request))
    return LogoutResponse(revoked=revoked)


@router.get("/api/v1/me", response_model=UserInfo, responses=_AUTH_ERRORS, summary="The logged-in user")
def me(principal: CurrentUser, state: State) -> UserInfo:
    return state.auth.user(principal.id)


@router.post(
    "/api/v1/admin/users",
    response_model=UserInfo,
    status_code=status.HTTP_201_CREATED,
    responses={**_BODY_ERRORS, **_AUTH_ERRORS, 403: _ERR, 409: _ERR},
    summary="Create a user (admins only)",
)
def create_user(body: CreateUserRequest, admin: AdminUser, state: State) -> UserInfo:
    return create_user_row(
        state.db,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        roles=body.roles,
        queue_ids=body.queue_ids,
        territory_ids=body.territory_ids,
        actor_id=admin.id,
    )
