"""The region a national phone number is read in, for pops of numbers typed without `+`.

The phone system's own E.164 form comes first (`IncomingContact.phone_e164`); a number handed over
from outside (`liaison pop --phone "020 7946 0958"`) is read in the country of the agent's first
territory that names one, as the new-customer dialog does. Agents usually serve queues, not
territories: then the country most of the cached territories are in (the `ref` scope holds every
territory) — the contact centre's own country in a one-country deployment.
"""

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from desktop.services.store.schema import MIRRORS

if TYPE_CHECKING:
    from desktop.views.context import ViewContext


def default_region(ctx: "ViewContext") -> str | None:
    """An ISO country code to read national numbers in; None when the cache names no country."""
    territory = MIRRORS["territory"]
    user = ctx.user
    with ctx.cache.read() as conn:
        if user is not None and user.territory_ids:
            rows = conn.execute(
                select(territory.c.id, territory.c.country).where(territory.c.id.in_(user.territory_ids))
            ).all()
            countries = {str(row_id): str(country or "") for row_id, country in rows}
            for territory_id in user.territory_ids:
                if countries.get(territory_id):
                    return countries[territory_id].upper()
        most = conn.execute(
            select(territory.c.country)
            .where(territory.c.country.is_not(None), territory.c.country != "")
            .group_by(territory.c.country)
            .order_by(func.count().desc(), territory.c.country)
            .limit(1)
        ).scalar()
    return str(most).upper() if most else None
