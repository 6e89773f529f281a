"""GA4's rules for what ``/mp/collect`` silently drops, checked on our own request body. Pure.

``/mp/collect`` answers 2xx for every request it receives, valid or not (platforms.md §2A
"Responses and validation"), so a 2xx alone proves nothing. ``classify`` runs these checks on
the body it sent and reports an event that breaks a rule as REJECTED, in the validation
server's vocabulary (``fieldPath``, ``validationCode``), instead of DELIVERED. ``prepare`` keeps
most rules by construction; what remains is what the client controls: custom event names,
custom properties, a value without a currency, a missing client id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from signalmesh_ga4 import names

# GA4 limits (§2A "Events and params").
MAX_PARAMS_PER_EVENT = 25
MAX_PARAM_VALUE_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Problem:
    """One rule an event breaks: where (``events[i]``-relative path), which code, and why."""

    field: str
    code: str
    description: str


def request_problems(body: Mapping[str, Any]) -> list[Problem]:
    """Rules of the request as a whole; each makes GA4 drop every event in it."""
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        # GA4: client_id is required for web streams (§2A "Body").
        return [Problem("client_id", "VALUE_REQUIRED", "client_id is required: send click_ids.ga_client_id")]
    return []


def event_problems(event: Mapping[str, Any]) -> list[Problem]:
    """Rules of one ``events[i]`` object, in field order."""
    problems: list[Problem] = []
    name = event.get("name")
    if not isinstance(name, str) or not name:
        problems.append(Problem("name", "VALUE_REQUIRED", "the event name is required"))
        name = ""
    elif problem := names.event_name_problem(name):
        problems.append(_name_problem("name", name, problem, "event name"))
    params = event.get("params") or {}
    if not isinstance(params, dict):
        return [*problems, Problem("params", "VALUE_INVALID", "params must be an object")]
    if len(params) > MAX_PARAMS_PER_EVENT:
        problems.append(
            Problem(
                "params",
                "EXCEEDED_MAX_ENTITIES",
                f"{len(params)} params; GA4 takes at most {MAX_PARAMS_PER_EVENT} per event: "
                "send fewer custom properties",
            )
        )
    for key, value in params.items():
        if problem := names.name_problem(key):
            problems.append(_name_problem(f"params.{key}", key, problem, "param name"))
        if isinstance(value, str) and len(value) > MAX_PARAM_VALUE_LENGTH:
            problems.append(
                Problem(
                    f"params.{key}",
                    "VALUE_OUT_OF_BOUNDS",
                    f"{len(value)} characters; GA4 param values take at most {MAX_PARAM_VALUE_LENGTH}",
                )
            )
    if "value" in params and not params.get("currency"):
        # GA4: currency is required whenever value is set (§2A, §6.2).
        problems.append(
            Problem(
                "params.currency", "VALUE_REQUIRED", "currency is required with value: send an ISO 4217 code"
            )
        )
    if name == "purchase" and not params.get("transaction_id"):
        # GA4: purchase requires transaction_id (§2A, G5).
        problems.append(Problem("params.transaction_id", "VALUE_REQUIRED", "purchase needs a transaction_id"))
    return problems


def _name_problem(field: str, name: str, problem: str, what: str) -> Problem:
    if problem == "reserved":
        return Problem(field, "NAME_RESERVED", f"{what} {name!r} is reserved by GA4: choose another name")
    return Problem(
        field,
        "NAME_INVALID",
        f"{what} {name!r} is invalid: at most 40 letters, digits or '_', starting with a letter",
    )
