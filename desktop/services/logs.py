"""The desktop's log file, the same for the window and `liaison sync`: INFO and up, with secrets
blanked by `redact.SecretFilter` and httpx's per-request lines kept out (a lookup's URL carries a
phone number or an email)."""

import logging
from pathlib import Path

from desktop.services.redact import install_on

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def log_to_file(target: Path) -> Path:
    """Send the root logger to `target` (appending); returns `target`."""
    logging.basicConfig(filename=target, level=logging.INFO, format=FORMAT)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # the second line of defence: whatever a library logs, secrets are blanked in the file
    install_on(*logging.getLogger().handlers)
    return target
