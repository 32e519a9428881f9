"""Translation of `qdrant_client.models` filters into Qdrant Edge's own condition objects."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, overload

import qdrant_edge as qe
from qdrant_client import models


@overload
def to_edge_filter(flt: models.Filter) -> qe.Filter: ...
@overload
def to_edge_filter(flt: None) -> None: ...
@overload
def to_edge_filter(flt: models.Filter | None) -> qe.Filter | None: ...
def to_edge_filter(flt: models.Filter | None) -> qe.Filter | None:
    """None stays None (no filter); a given filter always yields one, so callers that need one need no check."""
    if flt is None:
        return None
    min_should = None
    if flt.min_should is not None:
        min_should = qe.MinShould([_condition(c) for c in flt.min_should.conditions], flt.min_should.min_count)
    return qe.Filter(must=_conditions(flt.must), should=_conditions(flt.should),
                     must_not=_conditions(flt.must_not), min_should=min_should)


def _conditions(conds: Any) -> list[Any] | None:
    if conds is None:
        return None
    if not isinstance(conds, list):
        conds = [conds]
    return [_condition(c) for c in conds]


def _condition(cond: Any) -> Any:
    if isinstance(cond, models.Filter):
        return to_edge_filter(cond)
    if isinstance(cond, models.FieldCondition):
        return _field_condition(cond)
    if isinstance(cond, models.IsEmptyCondition):
        return qe.IsEmptyCondition(cond.is_empty.key)
    if isinstance(cond, models.IsNullCondition):
        return qe.IsNullCondition(cond.is_null.key)
    if isinstance(cond, models.HasIdCondition):
        return qe.HasIdCondition({str(i) for i in cond.has_id})
    if isinstance(cond, models.NestedCondition):
        return qe.NestedCondition(cond.nested.key, to_edge_filter(cond.nested.filter))
    raise ValueError(f"condizione di filtro non supportata: {type(cond).__name__}")


def _field_condition(cond: models.FieldCondition) -> Any:
    match = _match(cond.match) if cond.match is not None else None
    rng = _range(cond.range) if cond.range is not None else None
    values_count = None
    if cond.values_count is not None:
        vc = cond.values_count
        values_count = qe.ValuesCount(lt=vc.lt, gt=vc.gt, lte=vc.lte, gte=vc.gte)
    return qe.FieldCondition(cond.key, match=match, range=rng, values_count=values_count,
                             is_empty=cond.is_empty, is_null=cond.is_null)


def _match(match: Any) -> Any:
    if isinstance(match, models.MatchValue):
        if isinstance(match.value, bool):
            # qdrant-edge-py 0.9 turns Python booleans into integers: the match would silently find nothing.
            raise ValueError("Qdrant Edge non filtra su valori booleani: memorizzarli come parole chiave (si/no)")
        return qe.MatchValue(match.value)
    if isinstance(match, models.MatchAny):
        return qe.MatchAny(match.any)
    if isinstance(match, models.MatchExcept):
        return qe.MatchExcept(match.except_)
    if isinstance(match, models.MatchText):
        return qe.MatchText(match.text)
    if isinstance(match, models.MatchPhrase):
        return qe.MatchPhrase(match.phrase)
    raise ValueError(f"tipo di corrispondenza non supportato: {type(match).__name__}")


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day).isoformat()
    return str(value)


def _range(rng: Any) -> Any:
    if isinstance(rng, models.DatetimeRange):
        return qe.RangeDateTime(gte=_iso(rng.gte), gt=_iso(rng.gt), lte=_iso(rng.lte), lt=_iso(rng.lt))
    return qe.RangeFloat(gte=rng.gte, gt=rng.gt, lte=rng.lte, lt=rng.lt)
