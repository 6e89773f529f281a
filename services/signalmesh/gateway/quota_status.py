"""A client over its quota → ``RESOURCE_EXHAUSTED`` with ``google.rpc.RetryInfo`` (when to retry)
and ``google.rpc.QuotaFailure`` (which limit, for which client), so any gRPC client can back
off by the server's word instead of guessing."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from signalmesh.gateway.client_limits import OverLimit


def over_limit_status(over: OverLimit, not_accepted: str = "nothing accepted") -> grpc.Status:
    """The rich status of one refusal; ``not_accepted`` says what of the call was not taken."""
    retry_info = error_details_pb2.RetryInfo()
    # Rounded up to the millisecond: retrying after the delay given must succeed.
    retry_info.retry_delay.FromMilliseconds(max(1, -int(-over.retry_after_seconds * 1000 // 1)))
    quota_failure = error_details_pb2.QuotaFailure(
        violations=[
            error_details_pb2.QuotaFailure.Violation(
                subject=f"client:{over.client}", description=f"{over.limit}: {over.description}"
            )
        ]
    )
    details = []
    for message in (retry_info, quota_failure):
        detail = any_pb2.Any()
        detail.Pack(message)
        details.append(detail)
    text = f"{not_accepted}: {over.description}; retry after {over.retry_after_seconds:.3f}s"
    return rpc_status.to_status(
        status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message=text, details=details)
    )
