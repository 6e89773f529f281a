"""A key limited to named destinations (``[[clients]] destinations``) sends nowhere else."""

from __future__ import annotations

import pytest
from signalmesh.gateway.destination_scopes import OutsideScope, scoped
from signalmesh.v1 import event_pb2


def _event(event_id: str, *destinations: str) -> event_pb2.ConversionEvent:
    return event_pb2.ConversionEvent(event_id=event_id, destinations=list(destinations))


def test_an_unlimited_key_sends_events_unchanged():
    events = [_event("a"), _event("b", "tiktok")]
    assert scoped(events, None) == events


def test_an_event_naming_no_destination_goes_only_to_the_keys():
    [event] = scoped([_event("a")], ("meta_eu", "ga4"))
    assert list(event.destinations) == ["ga4", "meta_eu"]


def test_an_event_within_the_keys_destinations_is_kept_as_sent():
    [event] = scoped([_event("a", "meta_eu")], ("meta_eu", "ga4"))
    assert list(event.destinations) == ["meta_eu"]


def test_one_event_outside_refuses_the_call_naming_its_index_and_destination():
    with pytest.raises(OutsideScope) as error:
        scoped([_event("a", "meta_eu"), _event("b", "meta_eu", "tiktok")], ("meta_eu",))
    message = str(error.value)
    assert "events[1].destinations" in message and "'tiktok'" in message and "'meta_eu'" in message
