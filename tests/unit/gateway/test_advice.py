"""Match-quality advice names what to add, in words, most valuable first."""

from __future__ import annotations

from signalmesh.connector import MatchQuality
from signalmesh.gateway.advice import Advice, advice_text, advise, with_identifier
from signalmesh.v1 import event_pb2

WORTH = {"em": 3.0, "ph": 1.5, "mystery": 0.5}
LABELS = {"em": "a hashed email", "ph": "a hashed phone"}


class PricedConnector:
    """Scores 2.0, plus what each identifier adds (``WORTH``): an email is worth more than a phone."""

    identifier_labels = LABELS

    def match_quality(self, prepared: event_pb2.PreparedEvent) -> MatchQuality:
        score = 2.0 + sum(WORTH.get(name, 0.0) for name in prepared.identifiers)
        return MatchQuality(
            score=score, missing=tuple(name for name in WORTH if name not in prepared.identifiers)
        )


def test_a_known_identifier_is_named_in_words_with_its_key():
    assert advice_text("em", 4.1, 6.6, LABELS) == "add a hashed email (em): 4.1 → 6.6"


def test_an_unknown_identifier_is_shown_as_it_is():
    assert advice_text("mystery", 2.0, 2.5, LABELS) == "add mystery: 2.0 → 2.5"


def test_pricing_an_identifier_does_not_change_the_event():
    prepared = event_pb2.PreparedEvent(identifiers=["fbc"])
    priced = with_identifier(prepared, "em")
    assert list(priced.identifiers) == ["fbc", "em"]
    assert list(prepared.identifiers) == ["fbc"]


def test_advice_is_ordered_by_what_each_identifier_alone_adds():
    connector = PricedConnector()
    prepared = event_pb2.PreparedEvent()
    advice = advise(connector, prepared, connector.match_quality(prepared))  # type: ignore[arg-type]
    assert advice == [
        Advice("em", 5.0, "add a hashed email (em): 2.0 → 5.0"),
        Advice("ph", 3.5, "add a hashed phone (ph): 2.0 → 3.5"),
        Advice("mystery", 2.5, "add mystery: 2.0 → 2.5"),
    ]
