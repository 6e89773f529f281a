"""The gateway's client for the policy service: one Decide call per batch, with a deadline."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from signalmesh.config import ClientTls
from signalmesh.tls import aio_channel
from signalmesh.v1 import policy_pb2, policy_pb2_grpc


class PolicyUnavailable(Exception):
    """Policy could not decide; the gateway answers UNAVAILABLE and accepts nothing it cannot decide."""


class PolicyClient:
    def __init__(
        self,
        address: str,
        timeout_seconds: float,
        interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
        token: str | None = None,
        tls: ClientTls | None = None,
    ) -> None:
        # With ``tls`` (``[gateway] policy_tls_*``): policy's CA, and the gateway's certificate for mTLS.
        self._channel = aio_channel(address, tls, interceptors)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._stub = policy_pb2_grpc.PolicyStub(self._channel)
        self._timeout = timeout_seconds
        self.address = address

    async def decide(
        self, items: Sequence[policy_pb2.DecisionInput], dry_run: bool = False
    ) -> list[policy_pb2.DecisionOutput]:
        return await self.decide_request(policy_pb2.DecideRequest(items=items, dry_run=dry_run))

    async def decide_request(self, request: policy_pb2.DecideRequest) -> list[policy_pb2.DecisionOutput]:
        """One decision per item of ``request``, in order (the accept pipeline builds the request
        in place: ``prepare.decide_request``)."""
        try:
            response = await self._stub.Decide(
                request, timeout=self._timeout, wait_for_ready=True, metadata=self._metadata
            )
        except grpc.aio.AioRpcError as error:
            raise PolicyUnavailable(
                f"policy service at {self.address}: {error.code().name}: {error.details()}"
            ) from error
        if len(response.decisions) != len(request.items):
            raise PolicyUnavailable(
                f"policy answered {len(response.decisions)} decisions for {len(request.items)} items"
            )
        return list(response.decisions)

    async def close(self) -> None:
        await self._channel.close()
