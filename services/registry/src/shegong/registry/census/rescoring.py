"""The linker's scoring of a record against its candidates (:mod:`.linkage`): its edges
recomputed when it or what its scores depend on changed, each pair once per operation."""

from __future__ import annotations

from collections.abc import Iterable

from shegong.registry.census.blocks import BlockIndex
from shegong.registry.census.edgestore import EdgeStore
from shegong.registry.census.model import MatchModel
from shegong.registry.census.namesakes import NameWeights
from shegong.registry.census.scoring import _compare, _Rec


class Rescoring(BlockIndex, NameWeights):
    """A record's link and review edges, made from the model's scores (state on the linker)."""

    model: MatchModel
    _recs: dict[str, _Rec]
    _links: EdgeStore
    _reviews: EdgeStore
    _phone_weights: dict[tuple[int, bool], float]

    def _phone_weight_of(self, phone: int | str | None, landline: bool = False) -> float | None:
        """An exact phone's weight where others' records carry it too (None: the model's)."""
        bucket = self._phone_bucket(phone) if phone else 0
        if not bucket:
            return None
        found = self._phone_weights.get((bucket, landline))
        if found is None:
            others = 2 ** ((bucket - 1) / 2)
            found = self.model.phone_weight(others, landline)
            self._phone_weights[(bucket, landline)] = found
        return found

    def _drop_edges(self, key: str) -> None:
        self._links.cut(key)
        self._reviews.cut(key)

    def _rescore_all(self, keys: Iterable[str]) -> None:
        """Recompute every edge of ``keys``, each pair once: a record is scored against
        those of ``keys`` already done and the records outside them, as ``use_model``
        scores a record against those before it (a pair's edge is the same from either
        side: the partition does not depend on the records' order)."""
        pending = set(keys)
        for key in keys:
            pending.discard(key)
            self._rescore(key, skip=pending)

    def _rescore(
        self, key: str, among: set[str] | None = None, skip: set[str] | None = None
    ) -> None:
        """Recompute every edge of ``key`` against the records sharing a block with it
        (``among``: those of them only; ``skip``: not those)."""
        self._drop_edges(key)
        rec = self._recs[key]
        candidates: Iterable[str] = self._candidates(rec)
        if among is not None:
            candidates = [k for k in candidates if k in among]
        if skip:
            candidates = [k for k in candidates if k not in skip]
        recs, model = self._recs, self.model
        phone = rec.phone
        shared = self._phone_weight_of(phone, rec.phone_kind == "landline")
        for other_key in candidates:
            other = recs[other_key]
            # An exact name is weighed by its frequency; another name's weight is fixed.
            same = rec.name == other.name
            name_weight = (
                self._pair_name_weight(rec.name, key, other_key)
                if same
                else self._spelt_name_weight(rec, other)
            )
            phone_weight = shared if phone == (other.record.phone_hash or None) else None
            edge = (
                _compare(rec, other, model, name_weight, phone_weight)
                if key < other_key
                else _compare(other, rec, model, name_weight, phone_weight)
            )
            if edge is None:
                continue
            edges = self._links if edge.link else self._reviews
            edges.add_rows(rec.row, other.row, edge)
            edges.add_rows(other.row, rec.row, edge)
