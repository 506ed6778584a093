"""Keeping a customer's search terms (`customer_term`) in step with its name and contact points."""

from sqlalchemy import Connection, and_, delete, insert, select

from server.db import tables as t
from server.search_terms import customer_terms


def refresh_terms(conn: Connection, customer_id: str) -> None:
    cust = conn.execute(select(t.customer).where(t.customer.c.id == customer_id)).first()
    conn.execute(delete(t.customer_term).where(t.customer_term.c.customer_id == customer_id))
    if cust is None or cust.deleted_at is not None:
        return
    points = conn.execute(
        select(t.contact_point.c.kind, t.contact_point.c.value).where(
            and_(t.contact_point.c.customer_id == customer_id, t.contact_point.c.deleted_at.is_(None))
        )
    ).all()
    terms = customer_terms(
        cust.display_name,
        cust.organisation,
        cust.account_number,
        [p.value for p in points if p.kind == "email"],
        [p.value for p in points if p.kind == "phone"],
    )
    if terms:
        conn.execute(
            insert(t.customer_term),
            [{"term": term, "customer_id": customer_id, "territory_id": cust.territory_id} for term in terms],
        )
