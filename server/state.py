"""What every request handler reaches: the database, the settings, the broadcaster.

`create_app()` builds one `AppState` at startup and stores it on `app.state.liaison`.
"""

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from server.auth.service import AuthService
from server.config import ServerSettings
from server.db.engine import Database
from server.events import Broadcaster
from server.metrics import HttpMetrics


@dataclass(eq=False)
class AppState:
    db: Database
    settings: ServerSettings
    events: Broadcaster
    metrics: HttpMetrics = field(default_factory=HttpMetrics)
    auth: AuthService = field(init=False)

    def __post_init__(self) -> None:
        self.auth = AuthService(self.db, self.settings)


class NotStartedError(RuntimeError):
    pass


def get_state(request: HTTPConnection) -> AppState:
    """The application state; works for HTTP requests and websockets alike."""
    state = getattr(request.app.state, "liaison", None)
    if not isinstance(state, AppState):
        raise NotStartedError("the application has not started (its lifespan did not run)")
    return state
