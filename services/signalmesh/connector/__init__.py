"""What a connector implements and returns, and the kit it is built from.

- ``protocol``: the ``Connector`` Protocol the core calls (and its two optional members);
- ``types``: the plain data a connector declares and returns (``Limits``, ``Outcome`` …);
- ``kit``: the building blocks every connector shares (``prepared_event``, ``outcome_for_each``,
  ``BaseConnector`` …).

Everything public is importable from ``signalmesh.connector`` itself.
"""

from __future__ import annotations

from signalmesh.connector.kit import (
    MAX_MATCH_SCORE,
    BaseConnector,
    MatchWeights,
    body_excerpt,
    canonical_json,
    chunks,
    groups_in_order,
    hashed_list,
    hashed_one,
    int_or_none,
    json_array,
    json_number,
    json_or_none,
    outcome_for_each,
    post_request,
    prepared_event,
    put_present,
    required_setting,
    retry_after_seconds,
    weighted_match_quality,
)
from signalmesh.connector.protocol import ChecksEvents, Connector, LabelsIdentifiers, labels_of, problems_of
from signalmesh.connector.types import (
    SEND_ALL,
    STRATEGY_NAMES,
    STRICT,
    ConfigField,
    Destination,
    EligibilityRule,
    FieldProblem,
    HttpRequest,
    HttpResponse,
    Limits,
    MatchQuality,
    Outcome,
    OutcomeKind,
    PlatformEvent,
    TransportFailure,
)

__all__ = [
    "MAX_MATCH_SCORE",
    "SEND_ALL",
    "STRATEGY_NAMES",
    "STRICT",
    "BaseConnector",
    "ChecksEvents",
    "ConfigField",
    "Connector",
    "Destination",
    "EligibilityRule",
    "FieldProblem",
    "HttpRequest",
    "HttpResponse",
    "LabelsIdentifiers",
    "Limits",
    "MatchQuality",
    "MatchWeights",
    "Outcome",
    "OutcomeKind",
    "PlatformEvent",
    "TransportFailure",
    "body_excerpt",
    "canonical_json",
    "chunks",
    "groups_in_order",
    "hashed_list",
    "hashed_one",
    "int_or_none",
    "json_array",
    "json_number",
    "json_or_none",
    "labels_of",
    "outcome_for_each",
    "post_request",
    "prepared_event",
    "problems_of",
    "put_present",
    "required_setting",
    "retry_after_seconds",
    "weighted_match_quality",
]
