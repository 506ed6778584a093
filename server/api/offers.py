"""Offers administration and reporting (docs/offers.md).

- `GET /api/v1/admin/region_signals`, `PUT|DELETE /api/v1/admin/region_signals/{id}` (admin): a
  region's context signal; written through the ChangeWriter, so desktops get it in `ref`.
- `GET|PUT|DELETE /api/v1/admin/affinity_blocks` (admin): product pairs the affinity model never
  associates; a change recomputes the model at once and answers with its summary.
- `GET /api/v1/offers/acceptance?days=30` (supervisor or admin): acceptance rates per offer and queue.
Every admin change is audited.
"""

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Response

from server.api.deps import AdminUser, State, require_role
from server.api.errors import ApiError
from server.auth.principal import Principal
from server.auth.service import audit
from server.db.types import utcnow
from server.offers.acceptance import acceptance_report
from server.offers.affinity import ModelReport, recompute
from server.offers.blocks import UnknownProducts, delete_block, list_blocks, put_block
from server.offers.settings import ModelSettings
from server.offers.signals import delete_signal, list_signals, put_signal
from server.state import AppState
from wire.errors import ErrorResponse
from wire.offers import (
    AcceptanceReport,
    AffinityBlockChange,
    AffinityBlockIn,
    AffinityBlockList,
    AffinityBlockOut,
    ModelSummary,
    RegionSignalIn,
    RegionSignalList,
    RegionSignalOut,
)

router = APIRouter()

UUID_PATTERN: Final = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
MAX_DAYS: Final = 3660
_ERR: Final[dict[int | str, dict[str, Any]]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 413, 422)
}

SignalId = Annotated[str, Path(pattern=UUID_PATTERN, description="the signal's id (a lower-case UUID)")]
ProductParam = Annotated[str, Query(min_length=1, max_length=36)]
ReportUser = Annotated[Principal, Depends(require_role("supervisor", "admin"))]


def _audit(state: AppState, user: Principal, action: str, block: AffinityBlockOut) -> None:
    """Audit a block change (the entity id is the antecedent; the detail names both products)."""
    with state.db.write() as conn:
        audit(
            conn,
            action,
            user_id=user.id,
            address=user.address,
            entity="affinity_block",
            entity_id=block.antecedent_product_id,
            detail={"consequent_product_id": block.consequent_product_id},
        )


def _summary(report: ModelReport) -> ModelSummary:
    return ModelSummary(
        baskets=report.baskets,
        rules=report.rules,
        inserted=report.inserted,
        updated=report.updated,
        deleted=report.deleted,
    )


# ---- region signals ---------------------------------------------------------------------------


@router.get(
    "/api/v1/admin/region_signals",
    response_model=RegionSignalList,
    responses=_ERR,
    summary="The live region signals",
)
def get_region_signals(user: AdminUser, state: State) -> RegionSignalList:
    with state.db.read() as conn:
        return RegionSignalList(signals=list_signals(conn))


@router.put(
    "/api/v1/admin/region_signals/{signal_id}",
    response_model=RegionSignalOut,
    responses={**_ERR, 201: {"model": RegionSignalOut, "description": "the signal was created"}},
    summary="Create or replace a region's context signal (synced to desktops in `ref`)",
)
def put_region_signal(
    signal_id: SignalId, body: RegionSignalIn, user: AdminUser, state: State, response: Response
) -> RegionSignalOut:
    with state.db.write() as conn:
        signal, created = put_signal(conn, signal_id, body)
        audit(
            conn,
            "offers.region_signal.put",
            user_id=user.id,
            address=user.address,
            entity="region_signal",
            entity_id=signal_id,
            detail={"region": signal.region, "kind": signal.kind, "created": created},
        )
    response.status_code = 201 if created else 200
    return signal


@router.delete(
    "/api/v1/admin/region_signals/{signal_id}",
    status_code=204,
    responses=_ERR,
    summary="Withdraw a region's context signal",
)
def delete_region_signal(signal_id: SignalId, user: AdminUser, state: State) -> Response:
    with state.db.write() as conn:
        if not delete_signal(conn, signal_id):
            raise ApiError("not_found", "no such region signal", {"id": signal_id})
        audit(
            conn,
            "offers.region_signal.delete",
            user_id=user.id,
            address=user.address,
            entity="region_signal",
            entity_id=signal_id,
        )
    return Response(status_code=204)


# ---- blocked pairs ------------------------------------------------------------------------------


@router.get(
    "/api/v1/admin/affinity_blocks",
    response_model=AffinityBlockList,
    responses=_ERR,
    summary="The product pairs the affinity model never associates",
)
def get_affinity_blocks(user: AdminUser, state: State) -> AffinityBlockList:
    with state.db.read() as conn:
        return AffinityBlockList(blocks=list_blocks(conn))


@router.put(
    "/api/v1/admin/affinity_blocks",
    response_model=AffinityBlockChange,
    responses=_ERR,
    summary="Block a product pair (antecedent → consequent); the model is recomputed at once",
)
def put_affinity_block(body: AffinityBlockIn, user: AdminUser, state: State) -> AffinityBlockChange:
    try:
        with state.db.write() as conn:
            block = put_block(conn, body, user.id)
    except UnknownProducts as exc:
        raise ApiError("validation_failed", "unknown product ids", {"missing": exc.missing}) from None
    _audit(state, user, "offers.affinity_block.put", block)
    return AffinityBlockChange(block=block, model=_summary(recompute(state.db, ModelSettings.from_env())))


@router.delete(
    "/api/v1/admin/affinity_blocks",
    response_model=AffinityBlockChange,
    responses=_ERR,
    summary="Unblock a product pair; the model is recomputed at once",
)
def delete_affinity_block(
    antecedent_product_id: ProductParam, consequent_product_id: ProductParam, user: AdminUser, state: State
) -> AffinityBlockChange:
    with state.db.write() as conn:
        block = delete_block(conn, antecedent_product_id, consequent_product_id)
    if block is None:
        raise ApiError("not_found", "no such blocked pair")
    _audit(state, user, "offers.affinity_block.delete", block)
    return AffinityBlockChange(block=block, model=_summary(recompute(state.db, ModelSettings.from_env())))


# ---- acceptance ---------------------------------------------------------------------------------


@router.get(
    "/api/v1/offers/acceptance",
    response_model=AcceptanceReport,
    responses=_ERR,
    summary="How customers answered offers: acceptance rates per offer and per queue",
)
def get_acceptance(
    user: ReportUser, state: State, days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 30
) -> AcceptanceReport:
    with state.db.read() as conn:
        return acceptance_report(conn, days=days, now=utcnow())
