"""A refusal over quota is RESOURCE_EXHAUSTED whose rich details a client can act on."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2
from signalmesh.gateway.client_limits import OverLimit
from signalmesh.gateway.quota_status import over_limit_status


def decoded(status: grpc.Status) -> status_pb2.Status:
    [(_name, value)] = [item for item in status.trailing_metadata if item[0] == "grpc-status-details-bin"]
    return status_pb2.Status.FromString(value)


def test_the_retry_delay_is_rounded_up_and_the_quota_names_client_and_limit():
    over = OverLimit("hammer", "events_per_second", retry_after_seconds=0.0101, description="5/s")
    status = over_limit_status(over, "event #3 and later not accepted")
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert status.details.startswith("event #3 and later not accepted: 5/s")
    retry, quota = error_details_pb2.RetryInfo(), error_details_pb2.QuotaFailure()
    details = decoded(status).details
    assert any(detail.Unpack(retry) for detail in details)
    assert any(detail.Unpack(quota) for detail in details)
    assert retry.retry_delay.ToMilliseconds() == 11  # never earlier than the bucket can pay
    [violation] = quota.violations
    assert violation.subject == "client:hammer" and violation.description.startswith("events_per_second")
