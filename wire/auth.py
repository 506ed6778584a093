"""Auth requests and responses (PROTOCOL.md, Auth)."""

from typing import Literal

from pydantic import BaseModel, Field

Role = Literal["agent", "supervisor", "field_rep", "admin"]


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)
    device_name: str = Field(default="", max_length=200)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutRequest(BaseModel):
    refresh_token: str | None = Field(default=None, max_length=512)


class UserInfo(BaseModel):
    id: str
    username: str
    display_name: str
    roles: list[Role]
    queue_ids: list[str]
    territory_ids: list[str]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    user: UserInfo


class LogoutResponse(BaseModel):
    revoked: bool


class CreateUserRequest(BaseModel):
    username: str = Field(min_length=1, max_length=150, pattern=r"^[A-Za-z0-9._@-]+$")
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=1024)
    roles: list[Role] = Field(min_length=1)
    queue_ids: list[str] = Field(default_factory=list)
    territory_ids: list[str] = Field(default_factory=list)
