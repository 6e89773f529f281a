"""The one interceptor chain every server uses: order (trace span, log line, auth) and when
auth is part of it. Serving itself is tested on real servers in tests/integration."""

from __future__ import annotations

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


@pytest.mark.parametrize("hint", [None, "send the [policy] token"])
def test_the_hint_ends_up_in_the_auth_interceptor(hint):
    [*_, auth] = standard_interceptors(
        tracer_provider=TracerProvider(), clients=[CLIENT], method_scopes={}, how_to_authenticate=hint
    )
    assert isinstance(auth, AuthInterceptor)
    assert auth.authenticate([("authorization", "Bearer sm_shared")]) == CLIENT
    if hint is None:
        assert "signalmesh keys new" in auth._how_to_authenticate
    else:
        assert auth._how_to_authenticate == hint
