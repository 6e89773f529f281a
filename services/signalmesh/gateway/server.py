"""Gateway service wiring: config, connectors, store, policy client, accept pipeline, dispatcher,
gRPC runtime."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from opentelemetry import trace

from signalmesh import grpc_runtime
from signalmesh.config import ApiClient, Config, check_destinations
from signalmesh.gateway.accept import EventOutcome
from signalmesh.gateway.accept_pipeline import AcceptPipeline
from signalmesh.gateway.alert_watch import AlertWatch
from signalmesh.gateway.batcher import MicroBatcher
from signalmesh.gateway.client_limits import ClientLimits, ClientQuota
from signalmesh.gateway.dispatcher import Dispatcher
from signalmesh.gateway.monitoring_servicer import METHOD_SCOPES as MONITORING_SCOPES
from signalmesh.gateway.monitoring_servicer import MonitoringServicer
from signalmesh.gateway.outbox_depth import OutboxDepthSampler
from signalmesh.gateway.policy_client import PolicyClient
from signalmesh.gateway.servicer import METHOD_SCOPES, GatewayServicer
from signalmesh.gateway.store_housekeeping import StoreHousekeeping
from signalmesh.gateway.stored_keys import StoredKeys
from signalmesh.gateway.strategy_settings import StrategyAdmin
from signalmesh.gateway.transport import Transport
from signalmesh.interceptors import hash_api_key, load_or_create_local_key
from signalmesh.plugins import ConnectorRegistry, load_registry
from signalmesh.policy.strategy import configured_strategies
from signalmesh.store import open_store
from signalmesh.store.base import Store
from signalmesh.telemetry import tracing
from signalmesh.tls import check_files
from signalmesh.v1 import gateway_pb2, gateway_pb2_grpc, monitoring_pb2, monitoring_pb2_grpc

SERVICE_NAME = gateway_pb2.DESCRIPTOR.services_by_name["Gateway"].full_name
MONITORING_SERVICE_NAME = monitoring_pb2.DESCRIPTOR.services_by_name["Monitoring"].full_name


@dataclass(slots=True)
class GatewayRuntime:
    server: grpc_runtime.RunningServer
    store: Store
    policy: PolicyClient
    transport: Transport
    dispatcher: Dispatcher
    batcher: MicroBatcher[EventOutcome]
    # The generated key when no [[clients]] are configured (embedded mode), else None.
    local_key: str | None
    housekeeping: StoreHousekeeping
    alert_watch: AlertWatch
    depth_sampler: OutboxDepthSampler

    @property
    def address(self) -> str:
        return self.server.address

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting (health NOT_SERVING), finish calls in flight, then batches in flight."""
        await self.server.stop(grace)
        await self.batcher.drain()
        await self.dispatcher.stop(grace)
        await self.housekeeping.stop()
        await self.depth_sampler.stop()
        await self.alert_watch.stop()
        await self.transport.close()
        await self.policy.close()
        await self.store.close()


def api_clients(config: Config) -> tuple[tuple[ApiClient, ...], str | None]:
    """The configured clients, or one local client whose key is generated in the state dir."""
    if config.clients:
        return config.clients, None
    key = load_or_create_local_key(config.state_dir)
    return (ApiClient(name="local", key_sha256=hash_api_key(key)),), key


def client_limits(config: Config) -> ClientLimits:
    """Each configured client's quota: its own [[clients]] limits, else the [gateway] defaults
    (which also apply to the embedded mesh's local client)."""
    gateway = config.gateway
    default = ClientQuota(
        events_per_second=gateway.client_events_per_second,
        burst=gateway.client_burst,
        max_concurrent_streams=gateway.client_max_concurrent_streams,
    )
    quotas = {
        client.name: ClientQuota(
            events_per_second=_chosen(client.events_per_second, default.events_per_second),
            burst=_chosen(client.burst, default.burst),
            max_concurrent_streams=int(
                _chosen(client.max_concurrent_streams, default.max_concurrent_streams)
            ),
        )
        for client in config.clients
    }
    return ClientLimits(quotas, default)


def _chosen(own: float | None, default: float) -> float:
    return default if own is None else own


async def serve_gateway(
    config: Config,
    registry: ConnectorRegistry | None = None,
    *,
    listen: str | None = None,
    policy_address: str | None = None,
    dispatch: bool = True,
    shared_port: bool = False,
) -> GatewayRuntime:
    """Start the gateway. ``shared_port``: one of several worker processes on one port; each
    runs everything a replica runs (dispatcher claims are leases in the shared store, the alert
    watch holds the store's ``alerts`` lease, housekeeping is idempotent)."""
    registry = registry or load_registry(config.plugins_allow)
    check_destinations(config, registry)
    check_files(config.gateway.tls, config.gateway.policy_tls)
    provider = trace.get_tracer_provider()
    store = open_store(config)
    policy = PolicyClient(
        policy_address or config.gateway.policy_address,
        config.gateway.policy_timeout_seconds,
        interceptors=tracing.client_interceptors(provider),
        token=config.policy.token,
        tls=config.gateway.policy_tls,
    )
    transport = Transport(config.dispatcher.request_timeout_seconds)
    dispatcher = Dispatcher(
        destinations=config.destinations,
        registry=registry,
        store=store,
        transport=transport,
        config=config.dispatcher,
        keep_history=config.stats.enabled,
    )
    # One background reading of the outbox depth for backpressure and the gauge alike.
    depth_sampler = OutboxDepthSampler(store, config.destinations)
    pipeline = AcceptPipeline(
        destinations=config.destinations,
        registry=registry,
        policy=policy,
        store=store,
        on_enqueued=dispatcher.wake,
        tracking_plan=config.tracking_plan,
        generate_missing_event_id=config.gateway.generate_missing_event_id,
        max_outbox_depth=config.gateway.max_outbox_depth,
        # A first copy's claim is orphaned once its own policy call would have timed out.
        orphan_wait_seconds=config.gateway.policy_timeout_seconds + 1.0,
        keep_history=config.stats.enabled,
        quality=config.quality,
        free_text_pii=config.privacy.free_text_pii,
        depth_sampler=depth_sampler,
    )
    batcher: MicroBatcher[EventOutcome] = MicroBatcher(
        pipeline.submit,
        linger_seconds=config.gateway.micro_batch_linger_ms / 1000,
        max_size=config.gateway.max_batch_size,
    )
    servicer = GatewayServicer(
        pipeline=pipeline,
        batcher=batcher,
        store=store,
        registry=registry,
        destinations=config.destinations,
        max_batch_size=config.gateway.max_batch_size,
        strategy=StrategyAdmin(store, configured_strategies(config), config.destinations),
        wake=dispatcher.wake,
        limits=client_limits(config),
    )
    monitoring = MonitoringServicer(store=store)
    clients, local_key = api_clients(config)
    interceptors = grpc_runtime.standard_interceptors(
        tracer_provider=provider,
        clients=clients,
        method_scopes={**METHOD_SCOPES, **MONITORING_SCOPES},
        more_clients=StoredKeys(store).clients,
    )

    def add_services(server: grpc.aio.Server) -> None:
        gateway_pb2_grpc.add_GatewayServicer_to_server(servicer, server)
        monitoring_pb2_grpc.add_MonitoringServicer_to_server(monitoring, server)

    running = await grpc_runtime.start_server(
        listen=listen or config.gateway.listen,
        add_services=add_services,
        service_names=[SERVICE_NAME, MONITORING_SERVICE_NAME],
        interceptors=interceptors,
        options=grpc_runtime.connection_options(
            max_streams_per_connection=config.gateway.max_streams_per_connection,
            keepalive_time_seconds=config.gateway.keepalive_time_seconds,
            keepalive_timeout_seconds=config.gateway.keepalive_timeout_seconds,
            min_client_ping_interval_seconds=config.gateway.min_client_ping_interval_seconds,
        ),
        tls=config.gateway.tls,
        reuse_port=shared_port,
    )
    if dispatch:
        dispatcher.start()
    depth_sampler.start()
    housekeeping = StoreHousekeeping(
        store,
        config.destinations,
        status_retention_seconds=config.store.status_retention_seconds,
        hourly_retention_seconds=config.stats.hourly_retention_seconds,
        daily_retention_seconds=config.stats.daily_retention_seconds,
        depth_sampler=depth_sampler,
    )
    housekeeping.start()
    alert_watch = AlertWatch(
        store=store,
        settings=config.alerts,
        destinations=config.destinations,
        registry=registry,
        breakers=dispatcher.breakers,
        rotated_at=config.rotated_at,
    )
    alert_watch.start()
    return GatewayRuntime(
        *(running, store, policy, transport, dispatcher, batcher, local_key, housekeeping, alert_watch),
        depth_sampler,
    )
