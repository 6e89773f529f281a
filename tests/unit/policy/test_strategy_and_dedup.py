"""Strategy resolution and dedup keys."""

from __future__ import annotations

from signalmesh.policy.dedup import dedup_key
from signalmesh.policy.strategy import FROM_DEFAULT, FROM_FILE, FROM_STORE, StrategySettings, source_of
from signalmesh.v1 import policy_pb2


def test_destination_override_beats_the_global_default():
    settings = StrategySettings(default="strict", overrides={"meta_b": "send_all"})
    assert settings.for_destination("meta_a") == "strict"
    assert settings.for_destination("meta_b") == "send_all"


def test_a_stored_global_default_leaves_a_destination_pinned_in_the_file():
    settings = StrategySettings(default="strict", overrides={"meta_b": "strict"}).under({"": "send_all"})
    assert settings.default == "send_all"
    assert settings.for_destination("meta_a") == "send_all"
    assert settings.for_destination("meta_b") == "strict"
    assert settings.to_proto().destination_overrides["meta_b"] == policy_pb2.STRATEGY_STRICT


def test_a_stored_destination_value_beats_the_file_for_that_destination():
    configured = StrategySettings(default="strict", overrides={"meta_b": "strict"})
    settings = configured.under({"meta_b": "send_all"})
    assert (settings.default, settings.for_destination("meta_b")) == ("strict", "send_all")
    assert settings.for_scope("") == "strict" and settings.for_scope("meta_b") == "send_all"


def test_source_of_names_the_store_the_file_or_the_default():
    configured = StrategySettings(default="strict", overrides={"meta_b": "strict"})
    stored = {"tiktok": "send_all"}
    assert source_of("", configured, stored) == FROM_FILE
    assert source_of("meta_b", configured, stored) == FROM_FILE
    assert source_of("tiktok", configured, stored) == FROM_STORE
    assert source_of("ga4", configured, stored) == FROM_DEFAULT
    assert source_of("", configured, {"": "send_all"}) == FROM_STORE


def test_dedup_key_separates_destinations_names_and_test_mode():
    base = policy_pb2.DecisionInput(event_id="e1", event_name="Purchase", destination="a")
    keys = {
        dedup_key(base),
        dedup_key(policy_pb2.DecisionInput(event_id="e1", event_name="Purchase", destination="b")),
        dedup_key(policy_pb2.DecisionInput(event_id="e1", event_name="Lead", destination="a")),
        dedup_key(
            policy_pb2.DecisionInput(event_id="e1", event_name="Purchase", destination="a", test_mode=True)
        ),
    }
    assert len(keys) == 4
    assert dedup_key(base) == dedup_key(
        policy_pb2.DecisionInput(event_id="e1", event_name="Purchase", destination="a")
    )
