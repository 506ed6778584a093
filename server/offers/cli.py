"""`liaison-server recompute-offers`: recompute the affinity model now, whatever the schedule.

Wired into `server/cli.py` with `command("recompute-offers", cmd_recompute_offers, …)`; the
thresholds come from `LIAISON_OFFERS_*` (server.offers.settings).
"""

import argparse
import sys

from server.offers.affinity import recompute
from server.offers.settings import ModelSettings

HELP = "recompute the offers' affinity model from holdings and accepted offers now"


def cmd_recompute_offers(args: argparse.Namespace) -> int:
    """Recompute and print what changed (exit status 0), or fail like every other command."""
    from server.cli import open_current  # the CLI module imports this one: no cycle at import time

    db = open_current(args.database)
    try:
        report = recompute(db, ModelSettings.from_env())
    finally:
        db.dispose()
    sys.stdout.write(report.summary() + "\n")
    return 0
