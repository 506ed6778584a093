"""`liaison offers --profile DIR --customer ID [--json]` on a real (encrypted) profile cache: the
ranked offers with their scores and reasons, the filtered-out offers with why, plain exit codes."""

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from desktop.cli_offers import EXIT_OK, EXIT_SETUP, EXIT_UNKNOWN, main
from desktop.services.profile_cache import cache_key, cache_path
from desktop.services.settings import resolve_paths
from desktop.services.store import open_cache
from tests.offers_desktop.cached import AC_OFFER, ANA, BEN, FAN_OFFER, MESH_OFFER, NOW, fill
from tests.support.file_keyring import ENV_FILE, FileKeyring

TIMES = "\N{MULTIPLICATION SIGN}"


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A profile whose encrypted cache (key in a file keyring) holds the test catalog."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv(ENV_FILE, str(path))
    keyring.set_keyring(FileKeyring(path))
    root = tmp_path / "profile"
    paths = resolve_paths(root).ensure()
    cache, _ = open_cache(cache_path(paths), cache_key(root, create=True))
    with cache:
        fill(cache)
    yield root
    keyring.set_keyring(fail.Keyring())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_lists_the_ranked_offers_and_the_filtered_ones_with_why(
    profile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--profile", str(profile), "--customer", ANA, "--json", "--at", NOW.isoformat()
    )
    assert code == EXIT_OK
    doc = json.loads(out)
    assert doc["customer"] == "Ana Torres" and doc["at"] == NOW.isoformat() and doc["notice"] is None
    assert [o["offer_id"] for o in doc["offers"]] == [MESH_OFFER, FAN_OFFER, AC_OFFER]
    mesh = doc["offers"][0]
    assert (mesh["rank"], mesh["price"], mesh["price_text"], mesh["lift"]) == (1, 8.0, "€8.00", 3.1)
    assert mesh["reason"] == f"Customers with Fibre 500 often add Mesh Wi-Fi — 3.1{TIMES} more likely"
    assert mesh["score"] == pytest.approx(
        mesh["lift"] * mesh["boost"] * mesh["recency"] * (1 - mesh["fatigue"])
    )
    assert doc["offers"][1]["signals"][0]["kind"] == "region"
    # Device Care's only link is a sensitive purchase: filtered, and the watch named nowhere
    assert doc["filtered"] == [
        {
            "offer_id": "o-INS-DEVICE",
            "title": "Protect your phone",
            "why": "no signal: nothing links it to this customer now",
            "score": 1.0,
        }
    ]
    assert "Health" not in out and "Watch" not in out


def test_text_shows_scores_reasons_and_why_not(profile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--profile", str(profile), "--customer", ANA, "--at", NOW.isoformat())
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0] == f"Offers for Ana Torres ({ANA}) at {NOW.isoformat()}"
    assert lines[1].startswith("1. Add Mesh Wi-Fi  €8.00  score 3.0")
    assert lines[2].startswith(f"   = lift 3.10 {TIMES} boost 1.00 {TIMES} recency 0.9")
    assert lines[3] == f"   Customers with Fibre 500 often add Mesh Wi-Fi — 3.1{TIMES} more likely"
    assert lines[-2:] == [
        "Not shown:",
        "- Protect your phone (o-INS-DEVICE): no signal: nothing links it to this customer now",
    ]


def test_a_customer_without_consent_gets_the_plain_reason(
    profile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--profile", str(profile), "--customer", BEN, "--json", "--at", NOW.isoformat()
    )
    doc = json.loads(out)
    assert code == EXIT_OK and doc["offers"] == [] and doc["blocked"] is True
    assert doc["notice"] == "No offers: the customer has not given marketing consent."
    assert {f["why"] for f in doc["filtered"]} == {"the customer has not given marketing consent"}


def test_exit_codes_for_an_unknown_customer_and_a_profile_without_a_cache(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--profile", str(profile), "--customer", "nobody")
    assert (code, out) == (EXIT_UNKNOWN, "") and "not in this profile's cache" in err
    code, _, err = run(capsys, "--profile", str(tmp_path / "empty"), "--customer", ANA)
    assert code == EXIT_SETUP and "no offline cache yet" in err
    with pytest.raises(SystemExit) as stopped:
        main(["--profile", str(profile), "--customer", ANA, "--at", "yesterday"])
    assert stopped.value.code == 2
