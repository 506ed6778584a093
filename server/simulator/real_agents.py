"""Real signed-in desktop agents, as the server sees them (GET /api/v1/telephony/state).

The desktop changes its agent's state and answers, ends and wraps up contacts through the server,
which records those events itself; the simulator only needs to know which real agents are
available now (to offer them contacts) and which of the contacts it offered them were answered (so
their ring timer stops and the desktop takes over).
"""

import logging
from dataclasses import dataclass
from typing import Final

import httpx
from pydantic import ValidationError

from server.simulator.engine import ANSWERED_STATUSES, RealAgentSeen
from wire.telephony import TelephonyState

log = logging.getLogger(__name__)

STATE_PATH: Final = "/api/v1/telephony/state"


@dataclass(frozen=True, slots=True)
class RealAgentsView:
    agents: list[RealAgentSeen]
    #: contacts an agent answered (talking, in ACW or done)
    answered: set[str]


def view_of(state: TelephonyState, simulated: set[str]) -> RealAgentsView:
    """The real agents (every board row that is not one of the simulated agents) and answered contacts."""
    answered = {c.contact_id for c in state.contacts if c.status in ANSWERED_STATUSES}
    agents: list[RealAgentSeen] = []
    for row in state.agents:
        if row.agent_id in simulated:
            continue
        if row.contact_id is not None and row.state in ("on_contact", "acw"):
            answered.add(row.contact_id)
        agents.append(
            RealAgentSeen(
                agent_id=row.agent_id,
                name=row.display_name,
                available=row.state == "available" and row.contact_id is None,
                queues=tuple(row.queues),
            )
        )
    return RealAgentsView(agents, answered)


class StatePoller:
    """Reads the server's telephony state with the integration key; None when it cannot."""

    def __init__(self, client: httpx.Client, key: str) -> None:
        self._client = client
        self._headers = {"Authorization": f"Bearer {key}"}
        self.failures = 0

    def poll(self, simulated: set[str]) -> RealAgentsView | None:
        try:
            response = self._client.get(STATE_PATH, headers=self._headers)
            response.raise_for_status()
            state = TelephonyState.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError) as exc:
            self.failures += 1
            if self.failures in (1, 10) or self.failures % 100 == 0:
                log.warning("reading the telephony state failed %d times (%s)", self.failures, exc)
            return None
        self.failures = 0
        return view_of(state, simulated)
