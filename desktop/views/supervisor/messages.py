"""What the supervisor views say when a call fails: a sentence, never a traceback."""

import pydantic

from desktop.services.api_errors import ApiError, Forbidden, NotAuthenticated, NotFound, TransportError
from desktop.views.i18n import tr


def failure_text(exc: BaseException, doing: str) -> str:
    """`doing` is what failed ("load the queues", "send the broadcast")."""
    if isinstance(exc, Forbidden):
        return tr("Only supervisors and admins can {doing}.").format(doing=doing)
    if isinstance(exc, NotAuthenticated):
        return tr("Could not {doing}: sign in again.").format(doing=doing)
    if isinstance(exc, TransportError):
        return tr("Could not {doing}: the server cannot be reached.").format(doing=doing)
    if isinstance(exc, NotFound):
        return tr("Could not {doing}: this server has no contact centre.").format(doing=doing)
    if isinstance(exc, ApiError):
        return tr("Could not {doing}: {message}").format(doing=doing, message=exc.message)
    if isinstance(exc, pydantic.ValidationError | ValueError):
        return tr("Could not {doing}: the server's answer could not be read.").format(doing=doing)
    return tr("Could not {doing}.").format(doing=doing)
