"""Policy service wiring: config, connectors, store, servicer and the shared gRPC runtime."""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry import trace

from signalmesh import grpc_runtime
from signalmesh.config import ApiClient, Config, ConfigError, check_destinations
from signalmesh.interceptors import hash_api_key
from signalmesh.plugins import ConnectorRegistry, load_registry
from signalmesh.policy.servicer import PolicyServicer
from signalmesh.policy.shared_strategy import SharedStrategy
from signalmesh.policy.strategy import configured_strategies
from signalmesh.store import open_store
from signalmesh.store.base import Store
from signalmesh.tls import check_files, unauthenticated_exposure
from signalmesh.v1 import policy_pb2, policy_pb2_grpc

SERVICE_NAME = policy_pb2.DESCRIPTOR.services_by_name["Policy"].full_name


@dataclass(slots=True)
class PolicyRuntime:
    server: grpc_runtime.RunningServer
    store: Store

    @property
    def address(self) -> str:
        return self.server.address

    async def stop(self, grace: float = 5.0) -> None:
        await self.server.stop(grace)
        await self.store.close()


async def serve_policy(
    config: Config, registry: ConnectorRegistry | None = None, *, listen: str | None = None
) -> PolicyRuntime:
    listen = listen or config.policy.listen
    # Checked before anything is opened: an exposed, unauthenticated policy never starts.
    problem = unauthenticated_exposure(listen, config.policy.token, config.policy.tls)
    if problem:
        raise ConfigError(problem)
    check_files(config.policy.tls)
    registry = registry or load_registry(config.plugins_allow)
    check_destinations(config, registry)
    store = open_store(config)
    servicer = PolicyServicer(
        destinations=config.destinations,
        registry=registry,
        store=store,
        strategies=SharedStrategy(configured_strategies(config), store),
        dedup_window_seconds=config.policy.dedup_window_seconds,
    )
    # Policy's one caller is the gateway, and only when [policy] token is set.
    gateway = (
        [ApiClient(name="gateway", key_sha256=hash_api_key(config.policy.token), scopes=())]
        if config.policy.token
        else None
    )
    interceptors = grpc_runtime.standard_interceptors(
        tracer_provider=trace.get_tracer_provider(),
        clients=gateway,
        method_scopes={},
        how_to_authenticate=(
            "the gateway sends [policy] token from signalmesh.toml; both services must have the same"
        ),
    )
    running = await grpc_runtime.start_server(
        listen=listen,
        add_services=lambda server: policy_pb2_grpc.add_PolicyServicer_to_server(servicer, server),
        service_names=[SERVICE_NAME],
        interceptors=interceptors,
        tls=config.policy.tls,
    )
    return PolicyRuntime(running, store)
