"""`liaison offers`: explain a customer's recommended offers from a profile's offline cache (Qt-free).

    liaison offers --profile DIR --customer ID [--json] [--at ISO-8601]

Prints the ranked offers (at most three) with their scores, the parts of each score (lift, context
boost, recency, fatigue) and reason lines, then every other offer of the catalog with why it is not
shown: the ranking the customer screen shows, run on the same synced model, so a support engineer
or an agent's lead can see why an offer was (not) made. `--at` ranks at another moment (the
validity windows, the 30-day quiet period after a decline and the signals depend on the time).

It only reads: no lock is taken and nothing is synced (run `liaison sync` for fresh data).
Exit codes: 0 done, 1 the customer is not in the cache, 2 usage, keyring or cache problem.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from desktop.services import offers_explain as say
from desktop.services.credentials import KeyringUnavailable
from desktop.services.customer_screen import profile
from desktop.services.offers import OfferModelCache, ranking
from desktop.services.offers_model import RankedOffer, Ranking
from desktop.services.profile_cache import SetupError, cache_key, cache_path
from desktop.services.settings import resolve_paths
from desktop.services.store import Cache, CacheError, open_cache

EXIT_OK: Final = 0
EXIT_UNKNOWN: Final = 1
EXIT_SETUP: Final = 2


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="liaison offers", description="Explain a customer's recommended offers from the offline cache."
    )
    parser.add_argument("--profile", type=Path, required=True, metavar="DIR", help="the profile directory")
    parser.add_argument("--customer", required=True, metavar="ID", help="the customer's id")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--at", type=_moment, default=None, metavar="ISO", help="rank at this moment (default: now)"
    )
    return parser.parse_args(argv)


def _moment(text: str) -> datetime:
    moment = say.parse_time(text)
    if moment is None:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}")
    return moment


def _open(profile_dir: Path) -> Cache:
    paths = resolve_paths(profile_dir)
    target = cache_path(paths)
    if not target.exists():
        raise SetupError(f"The profile has no offline cache yet ({target}): sync it first.")
    key = cache_key(paths.data_dir.parent, create=False)
    try:
        cache, _report = open_cache(target, key)
    except CacheError as exc:
        raise SetupError(str(exc)) from None
    return cache


def _offer_json(place: int, ranked: RankedOffer) -> dict[str, Any]:
    offer = ranked.offer
    return {
        "rank": place,
        "offer_id": offer.id,
        "title": offer.title,
        "price": offer.price,
        "currency": offer.currency,
        "price_text": say.price_text(offer.price, offer.currency),
        "score": round(ranked.score, 6),
        "lift": ranked.lift,
        "boost": round(ranked.boost, 6),
        "recency": round(ranked.recency, 6),
        "fatigue": ranked.fatigue,
        "reason": ranked.reason,
        "signals": [{"kind": s.kind, "factor": s.factor, "reason": s.reason} for s in ranked.signals],
    }


def report_json(result: Ranking, name: str, at: datetime) -> dict[str, Any]:
    """The `--json` document: the ranked offers with their score parts, and the filtered ones with why."""
    return {
        "customer_id": result.customer_id,
        "customer": name,
        "at": at.isoformat(),
        "notice": result.notice,
        "blocked": result.blocked,
        "offers": [_offer_json(i, r) for i, r in enumerate(result.offers, start=1)],
        "filtered": [
            {
                "offer_id": f.offer.id,
                "title": f.offer.title,
                "why": f.why,
                "score": None if f.score is None else round(f.score, 6),
            }
            for f in result.filtered
        ],
    }


def report_text(result: Ranking, name: str, at: datetime) -> str:
    times = say.TIMES
    lines = [f"Offers for {name} ({result.customer_id}) at {at.isoformat()}"]
    if result.notice:
        lines.append(result.notice)
    for place, ranked in enumerate(result.offers, start=1):
        offer = ranked.offer
        lines.append(
            f"{place}. {offer.title}  {say.price_text(offer.price, offer.currency)}  score {ranked.score:.3f}"
        )
        lines.append(
            f"   = lift {ranked.lift:.2f} {times} boost {ranked.boost:.2f} {times} recency {ranked.recency:.2f}"
            f" {times} (1 - fatigue {ranked.fatigue:.2f})"
        )
        lines.append(f"   {ranked.reason}")
    if result.filtered:
        lines.append("Not shown:")
        lines += [f"- {f.offer.title} ({f.offer.id}): {f.why}" for f in result.filtered]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    at: datetime = args.at or datetime.now(UTC)
    try:
        cache = _open(args.profile)
    except (SetupError, KeyringUnavailable) as exc:
        sys.stderr.write(f"liaison offers: {exc}\n")
        return EXIT_SETUP
    try:
        with cache.read() as conn:
            result = ranking(conn, OfferModelCache(), args.customer, at)
            found = profile(conn, args.customer)
    finally:
        cache.close()
    if result is None:
        sys.stderr.write(f"liaison offers: the customer {args.customer} is not in this profile's cache.\n")
        return EXIT_UNKNOWN
    name = found.display_name if found is not None else args.customer
    if args.json:
        sys.stdout.write(json.dumps(report_json(result, name, at), indent=1, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report_text(result, name, at))
    return EXIT_OK
