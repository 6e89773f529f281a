"""The one interceptor chain every server uses: order (trace span, log line, auth) and when
auth is part of it. Serving itself is tested on real servers in tests/integration."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider
from signalmesh.config import ApiClient
from signalmesh.grpc_runtime import standard_interceptors
from signalmesh.interceptors import AuthInterceptor, LoggingInterceptor, hash_api_key

CLIENT = ApiClient(name="gateway", key_sha256=hash_api_key("sm_shared"), scopes=())


def test_the_chain_is_trace_then_log_then_auth():
    chain = standard_interceptors(tracer_provider=TracerProvider(), clients=[CLIENT], method_scopes={})
    kinds = [type(interceptor) for interceptor in chain]
    assert kinds[-2:] == [LoggingInterceptor, AuthInterceptor]
    assert len(chain) >= 3, "the tracing interceptor comes first"
    assert all(isinstance(interceptor, grpc.aio.ServerInterceptor) for interceptor in chain)


def test_no_clients_means_no_auth_and_an_empty_list_refuses_everyone():
    open_chain = standard_interceptors(tracer_provider=TracerProvider(), clients=None, method_scopes={})
    assert not any(isinstance(interceptor, AuthInterceptor) for interceptor in open_chain)
    closed = standard_interceptors(tracer_provider=TracerProvider(), clients=[], method_scopes={})
    auth = closed[-1]
    assert isinstance(auth, AuthInterceptor)
    assert auth.authenticate([("authorization", "Bearer sm_shared")]) is None


@dataclass(frozen=True, slots=True)
class CallDetails(grpc.HandlerCallDetails):
    method: str
    invocation_metadata: tuple[tuple[str, str], ...] = ()


class Refused(Exception):
    pass


@dataclass(slots=True)
class RefusingContext:
    """Records what a refusing handler aborts with (the only context call it makes)."""

    aborted: list[tuple[grpc.StatusCode, str]] = field(default_factory=list)

    async def abort(self, code: grpc.StatusCode, message: str) -> None:
        self.aborted.append((code, message))
        raise Refused


async def answer(request: bytes, context: object) -> bytes:
    return b"answered"


@pytest.mark.parametrize(
    ("hint", "expected_ending"),
    [
        (None, "(create one with `signalmesh keys new`)"),
        ("send the [policy] token", "send the [policy] token"),
    ],
)
async def test_a_keyless_call_is_refused_with_the_services_own_hint(hint, expected_ending):
    [*_, auth] = standard_interceptors(
        tracer_provider=TracerProvider(), clients=[CLIENT], method_scopes={}, how_to_authenticate=hint
    )

    async def continuation(details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(answer)

    handler = await auth.intercept_service(continuation, CallDetails("/signalmesh.v1.Policy/Decide"))
    assert handler is not None
    context = RefusingContext()
    with pytest.raises(Refused):
        await handler.unary_unary(b"", context)
    [(code, message)] = context.aborted
    assert code is grpc.StatusCode.UNAUTHENTICATED
    assert message.startswith("missing API key") and message.endswith(expected_ending)
