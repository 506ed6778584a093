"""Who is calling: the authenticated user as the rest of the server sees it."""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    username: str
    display_name: str
    roles: frozenset[str]
    queue_ids: tuple[str, ...] = ()
    territory_ids: tuple[str, ...] = ()
    #: the refresh-token family this access token belongs to (its session)
    session_id: str = ""
    address: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_supervisor(self) -> bool:
        return "supervisor" in self.roles or self.is_admin

    @property
    def sees_directory(self) -> bool:
        """Agents, supervisors and admins search every customer; field reps only their territory."""
        return bool(self.roles & {"agent", "supervisor", "admin"})

    def in_territory(self, territory_id: str) -> bool:
        return self.sees_directory or territory_id in self.territory_ids
