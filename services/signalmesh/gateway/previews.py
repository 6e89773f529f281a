"""CheckEvent's previews: for each destination of a checked event, the decision, the exact
payload and URL the connector would send, its match quality and advice. Nothing is sent."""

from __future__ import annotations

import json
from collections.abc import Mapping

from signalmesh.connector import Destination
from signalmesh.gateway.accept import EventOutcome
from signalmesh.gateway.advice import advise
from signalmesh.plugins import ConnectorRegistry
from signalmesh.v1 import gateway_pb2


def previews(
    outcome: EventOutcome, destinations: Mapping[str, Destination], registry: ConnectorRegistry
) -> list[gateway_pb2.DestinationPreview]:
    """One preview per (prepared event, decision) of a dry-run outcome."""
    shown = []
    for prepared, decision in zip(outcome.prepared, outcome.decisions, strict=True):
        destination = destinations[prepared.destination]
        connector = registry.get(destination.connector)
        [first, *_] = connector.build_requests([prepared], destination)
        quality = connector.match_quality(prepared)
        preview = gateway_pb2.DestinationPreview(
            destination=prepared.destination,
            connector=connector.name,
            decision=decision.decision,
            reason=decision.reason,
            detail=decision.detail,
            payload_json=json.dumps(json.loads(first.body), indent=2, sort_keys=True),
            # The query string may carry credentials (GA4's api_secret).
            url=first.url.split("?", 1)[0],
            match_quality=quality.score,
        )
        for advice in advise(connector, prepared, quality):
            preview.advice.add(identifier=advice.identifier, score_with=advice.score_with, text=advice.text)
        shown.append(preview)
    return shown
