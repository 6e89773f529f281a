"""Strategy resolution and dedup keys."""

from __future__ import annotations

from signalmesh.policy.dedup import dedup_key
from signalmesh.policy.strategy import StrategySettings
from signalmesh.v1 import policy_pb2


def test_destination_override_beats_the_global_default():
    settings = StrategySettings(default="strict", overrides={"meta_b": "send_all"})
    assert settings.for_destination("meta_a") == "strict"
    assert settings.for_destination("meta_b") == "send_all"


def test_update_without_destination_changes_only_the_default():
    settings = StrategySettings(default="strict", overrides={"meta_b": "strict"}).updated("", "send_all")
    assert settings.default == "send_all"
    assert settings.for_destination("meta_b") == "strict"
    assert settings.to_proto().destination_overrides["meta_b"] == policy_pb2.STRATEGY_STRICT


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
