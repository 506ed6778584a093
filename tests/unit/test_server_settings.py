"""Server settings from LIAISON_* variables: the contact centre's time zone."""

from datetime import UTC, datetime

import pytest

from server.config import ServerSettings
from server.telephony.loader import zone_of
from server.telephony.metrics import day_start


def test_time_zone_defaults_to_utc_and_reads_the_variable() -> None:
    assert ServerSettings.from_env({"LIAISON_DATABASE_URL": "sqlite://"}).time_zone == "UTC"
    settings = ServerSettings.from_env(
        {"LIAISON_DATABASE_URL": "sqlite://", "LIAISON_TIME_ZONE": "Europe/Madrid"}
    )
    assert settings.time_zone == "Europe/Madrid"
    # "today" starts at local midnight: 23:00 UTC the day before in Madrid's winter time
    start = day_start(datetime(2026, 11, 22, 10, 0, tzinfo=UTC), zone_of(settings))
    assert start == datetime(2026, 11, 21, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd"])
def test_an_unknown_time_zone_is_refused_with_the_variable_named(name: str) -> None:
    with pytest.raises(ValueError, match="LIAISON_TIME_ZONE"):
        ServerSettings.from_env({"LIAISON_DATABASE_URL": "sqlite://", "LIAISON_TIME_ZONE": name})
