"""Tracking-plan tables: every field path is checked against ConversionEvent at load, so a typo
fails at start-up instead of refusing every event."""

from __future__ import annotations

import pytest
from signalmesh.config import ConfigError, TrackingRule, config_from_mapping, unknown_path


def plan(tables: dict) -> dict:
    return dict(config_from_mapping({"tracking_plan": tables}, environ={}, source=None).tracking_plan)


def test_a_table_becomes_a_rule_for_its_event_name():
    rules = plan(
        {
            "Purchase": {
                "required": ["order_id", "value"],
                "required_one_of": ["user_data.emails", "click_ids.fbc"],
                "custom_properties": {"payment_status": "succeeded"},
            }
        }
    )
    assert rules == {
        "Purchase": TrackingRule(
            "Purchase",
            ("order_id", "value"),
            ("user_data.emails", "click_ids.fbc"),
            {"payment_status": "succeeded"},
        )
    }


def test_paths_name_fields_of_the_event_and_any_custom_property():
    assert unknown_path("user_data.emails") is None
    assert unknown_path("custom_properties.any_key_at_all") is None
    assert "'order' is not a field of ConversionEvent" in (unknown_path("order") or "")
    assert unknown_path("order_id.digits") == "order_id has no sub-fields"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"required": ["ordr_id"]}, "tracking_plan.Purchase.required: 'ordr_id': 'ordr_id' is not a field"),
        ({"required_one_of": "order_id"}, "tracking_plan.Purchase.required_one_of: must be a list"),
        ({"custom_properties": {"paid": True}}, "tracking_plan.Purchase.custom_properties: must be a table"),
        ({"needs": ["order_id"]}, "tracking_plan.Purchase: unknown key(s) ['needs']"),
    ],
)
def test_a_broken_rule_names_its_event_and_key(table, message):
    with pytest.raises(ConfigError) as error:
        plan({"Purchase": table})
    assert str(error.value).startswith(message)
