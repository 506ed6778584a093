"""What a sign-in is asked (`SignInRequest`) and why one fails (`SignInFailed`).

Light on purpose (no HTTP client, no pydantic): the window opens the profile's cache and shows
itself before the sign-in runs (`desktop.services.opened_cache`, `desktop/app.py`), and both halves
speak these types. `desktop.services.session` re-exports them.
"""

from dataclasses import dataclass, field
from typing import Literal

#: why a sign-in failed, for the dialog to word it: bad credentials, a saved sign-in that is gone,
#: the server unreachable with no cache to fall back on, the keyring or the cache, or the server
FailureKind = Literal["credentials", "expired", "unreachable", "keyring", "cache", "server"]


class SignInFailed(Exception):
    """The session could not be opened; `kind` says why, `detail` is the underlying message."""

    def __init__(self, kind: FailureKind, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind: FailureKind = kind
        self.detail = detail


@dataclass(frozen=True)
class SignInRequest:
    server_url: str
    username: str
    #: None: restore the sign-in kept in the keyring
    password: str | None = field(default=None, repr=False)
    keep_signed_in: bool = False
