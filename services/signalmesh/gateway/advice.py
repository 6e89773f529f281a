"""Match-quality advice for CheckEvent: which identifiers an event lacks, in words, and what
each alone would add to its score at one destination. Pure: the connector prices it and names
its identifiers (``identifier_labels``: ``em`` is Meta's word, not the core's)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from signalmesh.connector import Connector, MatchQuality, labels_of
from signalmesh.v1 import event_pb2


@dataclass(frozen=True, slots=True)
class Advice:
    identifier: str
    score_with: float
    text: str


def advice_text(identifier: str, score: float, score_with: float, labels: Mapping[str, str]) -> str:
    """ "add a hashed email (em): 4.1 → 6.6" — what to add, in the connector's words (``labels``;
    an identifier without a label is shown as it is), and what it is worth."""
    label = labels.get(identifier)
    named = f"{label} ({identifier})" if label else identifier
    return f"add {named}: {score:.1f} → {score_with:.1f}"


def with_identifier(prepared: event_pb2.PreparedEvent, identifier: str) -> event_pb2.PreparedEvent:
    """A copy of ``prepared`` as if it also carried ``identifier`` (to price the advice)."""
    copy = event_pb2.PreparedEvent()
    copy.CopyFrom(prepared)
    copy.identifiers.append(identifier)
    return copy


def advise(connector: Connector, prepared: event_pb2.PreparedEvent, quality: MatchQuality) -> list[Advice]:
    """One piece of advice per missing identifier, most valuable first (by what it alone adds)."""
    labels = labels_of(connector)
    priced = [
        (connector.match_quality(with_identifier(prepared, name)).score, name) for name in quality.missing
    ]
    return [
        Advice(identifier, score_with, advice_text(identifier, quality.score, score_with, labels))
        for score_with, identifier in sorted(priced, key=lambda item: -item[0])
    ]
