"""Cross-cutting concerns of every grpc.aio server: API-key auth and one canonical log line per RPC.

Servicers stay thin because these run around them. With grpc.aio an interceptor cannot act
*during* a call from ``intercept_service``: it gets the method's handler and returns one, so
both interceptors here wrap the handler's behaviour function (any of the four kinds). Auth
decides from metadata alone, before any body is decoded: a refused call gets a handler whose
deserialiser keeps the raw bytes (never parsed), and an admitted call's deserialiser turns a
body that does not decode into ``INVALID_ARGUMENT`` (one warning line, never the bytes).
Per-RPC facts travel in context variables: each RPC runs in a task of its
own, so what one call binds (client, method, peer) never leaks into another.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import inspect
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import grpc
import structlog

from signalmesh.audit import audit, audit_target
from signalmesh.config import ApiClient

# Standard services every server answers without a key (probes and grpcurl need them).
OPEN_METHOD_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
LOCAL_KEY_FILE = "local-api-key"
ADMIN_SCOPE = "admin"

Behaviour = Callable[..., Any]
# (behaviour, response_streaming) → the behaviour to run instead.
BehaviourWrapper = Callable[[Behaviour, bool], Behaviour]
Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]]

_current_client: ContextVar[str | None] = ContextVar("signalmesh_client", default=None)
_current_destinations: ContextVar[tuple[str, ...] | None] = ContextVar(
    "signalmesh_client_destinations", default=None
)


def current_client() -> str | None:
    """The name of the API client making the current RPC (None: an open method, or no RPC)."""
    return _current_client.get()


def current_destinations() -> tuple[str, ...] | None:
    """The destinations the current RPC's key may send to (None: any)."""
    return _current_destinations.get()


def hash_api_key(key: str) -> str:
    """What ``[[clients]] key_sha256`` stores: the SHA-256 hex of the key, never the key."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate_api_key() -> str:
    return "sm_" + secrets.token_urlsafe(32)


def load_or_create_local_key(state_dir: Path) -> str:
    """The embedded mesh's own key, ``state_dir/local-api-key`` (mode 0600), for when no
    ``[[clients]]`` are configured: services and CLI on this machine share it. Created
    atomically (private temporary file, then a hard link), so processes starting together agree.
    """
    path = state_dir / LOCAL_KEY_FILE
    state_dir.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return _read_key(path)
    temporary = state_dir / f".{LOCAL_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(generate_api_key() + "\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty; delete it and a new local API key will be created")
    return key


def wrap_rpc_handler(
    handler: grpc.RpcMethodHandler | None,
    wrapper: BehaviourWrapper,
    request_deserializer: Callable[[bytes], Any] | bool | None = True,
) -> grpc.RpcMethodHandler | None:
    """A handler of the same kind and (de)serialisers whose behaviour is ``wrapper(behaviour)``.

    ``request_deserializer`` replaces the handler's own (``None``: the raw bytes); the default
    ``True`` keeps it."""
    if handler is None:
        return None  # unknown method: gRPC answers UNIMPLEMENTED
    if handler.request_streaming and handler.response_streaming:
        behaviour, factory = handler.stream_stream, grpc.stream_stream_rpc_method_handler
    elif handler.request_streaming:
        behaviour, factory = handler.stream_unary, grpc.stream_unary_rpc_method_handler
    elif handler.response_streaming:
        behaviour, factory = handler.unary_stream, grpc.unary_stream_rpc_method_handler
    else:
        behaviour, factory = handler.unary_unary, grpc.unary_unary_rpc_method_handler
    deserializer = handler.request_deserializer if request_deserializer is True else request_deserializer
    return factory(
        wrapper(behaviour, handler.response_streaming),
        request_deserializer=deserializer or None,
        response_serializer=handler.response_serializer,
    )


class UndecodableBody:
    """What the guarded deserialiser hands on for a body that does not decode (never its bytes)."""

    __slots__ = ("problem", "size")

    def __init__(self, size: int, problem: str) -> None:
        self.size = size
        self.problem = problem


def guarded_deserializer(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """``deserializer`` that returns an :class:`UndecodableBody` instead of raising: grpc.aio
    would answer a raising deserialiser with an error-level traceback and no useful status."""
    if deserializer is None:
        return None

    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception as error:
            return UndecodableBody(len(data), type(error).__name__)

    return decode


_RPC_LOGGER = "signalmesh.rpc"
_log = structlog.get_logger(_RPC_LOGGER)


async def _refuse_undecodable(body: UndecodableBody, context: grpc.aio.ServicerContext) -> None:
    _log.warning("request body does not decode", size=body.size, problem=body.problem)
    await context.abort(
        grpc.StatusCode.INVALID_ARGUMENT,
        f"the request body ({body.size} bytes) is not a valid protobuf message of this method's request type",
    )


def refusing_undecodable(
    behaviour: Behaviour, response_streaming: bool, request_streaming: bool
) -> Behaviour:
    """``behaviour`` that first answers a body the guarded deserialiser could not decode."""
    if request_streaming:

        async def checked_requests(requests: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async for request in requests:
                if isinstance(request, UndecodableBody):
                    await _refuse_undecodable(request, context)
                yield request

        if response_streaming and inspect.isasyncgenfunction(behaviour):

            async def stream_in_out(requests: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                async for response in behaviour(checked_requests(requests, context), context):
                    yield response

            return stream_in_out

        async def stream_in(requests: Any, context: grpc.aio.ServicerContext) -> Any:
            return await behaviour(checked_requests(requests, context), context)

        return stream_in

    if response_streaming and inspect.isasyncgenfunction(behaviour):

        async def unary_in_out(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            if isinstance(request, UndecodableBody):
                await _refuse_undecodable(request, context)
            async for response in behaviour(request, context):
                yield response

        return unary_in_out

    async def unary_in(request: Any, context: grpc.aio.ServicerContext) -> Any:
        if isinstance(request, UndecodableBody):
            await _refuse_undecodable(request, context)
        return await behaviour(request, context)

    return unary_in


def around(
    behaviour: Behaviour,
    response_streaming: bool,
    before: Callable[[grpc.aio.ServicerContext], Any],
    after: Callable[[grpc.aio.ServicerContext, BaseException | None], Any] = lambda context, error: None,
) -> Behaviour:
    """Run ``before(context)`` and then ``after(context, error)`` around one RPC's behaviour.

    A streaming behaviour is either an async generator or a coroutine that calls
    ``context.write()`` (the aio health Watch does); the wrapper takes the same shape.
    """
    if response_streaming and inspect.isasyncgenfunction(behaviour):

        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            before(context)
            error: BaseException | None = None
            try:
                async for response in behaviour(request, context):
                    yield response
            except BaseException as raised:
                error = raised
                raise
            finally:
                after(context, error)

        return stream

    async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
        before(context)
        error: BaseException | None = None
        try:
            return await behaviour(request, context)
        except BaseException as raised:
            error = raised
            raise
        finally:
            after(context, error)

    return call


def _refusal(code: grpc.StatusCode, message: str, client: ApiClient | None = None) -> BehaviourWrapper:
    def refuse(behaviour: Behaviour, response_streaming: bool) -> Behaviour:
        async def abort(request: Any, context: grpc.aio.ServicerContext) -> None:
            if client is not None:
                _identify(client)  # the log line of a refused call names who was refused
            await context.abort(code, message)

        return abort

    return refuse


def guard_decoding(handler: grpc.RpcMethodHandler | None) -> grpc.RpcMethodHandler | None:
    """``handler`` whose undecodable bodies are ``INVALID_ARGUMENT`` (one warning line)."""
    if handler is None:
        return None
    request_streaming = handler.request_streaming
    return wrap_rpc_handler(
        handler,
        lambda behaviour, streaming: refusing_undecodable(behaviour, streaming, request_streaming),
        request_deserializer=guarded_deserializer(handler.request_deserializer),
    )


class DecodeGuardInterceptor(grpc.aio.ServerInterceptor):
    """For a service without auth (policy with no token): a body that does not decode is
    ``INVALID_ARGUMENT`` with one warning line, as behind :class:`AuthInterceptor`."""

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        if handler_call_details.method.startswith(OPEN_METHOD_PREFIXES):
            return handler
        return guard_decoding(handler)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """``authorization: Bearer <api key>`` → the configured client, checked against the method's scope.

    ``method_scopes`` maps full method names (``/signalmesh.v1.Gateway/SendEvents``) to the
    scope they need. Secure by default: health and reflection are the only open methods; a
    method missing from ``method_scopes`` still needs a valid key (any scope).
    """

    def __init__(
        self,
        clients: Sequence[ApiClient],
        method_scopes: Mapping[str, str],
        how_to_authenticate: str = (
            "a key is valid when its SHA-256 is a [[clients]] key_sha256 in signalmesh.toml "
            "or it is kept in the store (create one with `signalmesh keys new`)"
        ),
        more_clients: Callable[[], Awaitable[Sequence[ApiClient]]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clients = tuple(clients)
        self._more_clients = more_clients
        self._clock = clock
        self._method_scopes = dict(method_scopes)
        self._how_to_authenticate = how_to_authenticate

    def authenticate(
        self, metadata: Sequence[tuple[str, str | bytes]] | None, more: Sequence[ApiClient] = ()
    ) -> ApiClient | None:
        """The client whose key the metadata carries (among the configured ones and ``more``), or
        None; an expired key is None. Compares digests in constant time."""
        key = _bearer_key(metadata)
        if key is None:
            return None
        digest = hash_api_key(key)
        now = self._clock()
        matches = [
            client
            for client in (*self._clients, *more)
            if hmac.compare_digest(digest, client.key_sha256)
            and (client.expires_at is None or now < client.expires_at)
        ]
        return matches[0] if matches else None

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        handler = await continuation(handler_call_details)
        if method.startswith(OPEN_METHOD_PREFIXES):
            return handler
        more = await self._more_clients() if self._more_clients is not None else ()
        client = self.authenticate(handler_call_details.invocation_metadata, more)
        if client is None:
            has_key = _bearer_key(handler_call_details.invocation_metadata) is not None
            problem = "unknown API key" if has_key else "missing API key"
            message = (
                f"{problem}: send `authorization: Bearer <api key>` metadata; {self._how_to_authenticate}"
            )
            # The raw bytes are kept, never parsed: an anonymous caller costs no decoding.
            return wrap_rpc_handler(
                handler, _refusal(grpc.StatusCode.UNAUTHENTICATED, message), request_deserializer=None
            )
        scope = self._method_scopes.get(method)
        if scope is not None and scope not in client.scopes:
            message = (
                f"client {client.name!r} lacks scope {scope!r}, which {method} requires; "
                f"add it to that client's scopes in signalmesh.toml (it has {list(client.scopes)})"
            )
            return wrap_rpc_handler(
                handler,
                _refusal(grpc.StatusCode.PERMISSION_DENIED, message, client),
                request_deserializer=None,
            )

        def identify(context: grpc.aio.ServicerContext) -> None:
            _identify(client)

        if handler is None:
            return None
        request_streaming = handler.request_streaming
        audited = scope == ADMIN_SCOPE and not request_streaming

        def admitted(behaviour: Behaviour, streaming: bool) -> Behaviour:
            checked = refusing_undecodable(behaviour, streaming, request_streaming)
            if audited:
                checked = _audited(checked, streaming, client.name, method.rsplit("/", 1)[-1])
            return around(checked, streaming, identify)

        return wrap_rpc_handler(
            handler, admitted, request_deserializer=guarded_deserializer(handler.request_deserializer)
        )


def _audited(behaviour: Behaviour, response_streaming: bool, client: str, action: str) -> Behaviour:
    """``behaviour`` that writes the admin action's audit line once it ends (with its outcome)."""
    if response_streaming and inspect.isasyncgenfunction(behaviour):

        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            error: BaseException | None = None
            try:
                async for response in behaviour(request, context):
                    yield response
            except BaseException as raised:
                error = raised
                raise
            finally:
                audit(client, action, audit_target(request), final_status(context, error).name)

        return stream

    async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
        error: BaseException | None = None
        try:
            return await behaviour(request, context)
        except BaseException as raised:
            error = raised
            raise
        finally:
            audit(client, action, audit_target(request), final_status(context, error).name)

    return call


def _identify(client: ApiClient) -> None:
    _current_client.set(client.name)
    _current_destinations.set(client.destinations)
    structlog.contextvars.bind_contextvars(client=client.name)


def _bearer_key(metadata: Sequence[tuple[str, str | bytes]] | None) -> str | None:
    for key, value in metadata or ():
        if key == "authorization":
            text = value.decode(errors="replace") if isinstance(value, bytes) else value
            scheme, _, token = text.strip().partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


# Codes that mean "our side is broken" (error) or "our side is struggling" (warning).
_ERROR_CODES = frozenset({grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL, grpc.StatusCode.DATA_LOSS})
_WARNING_CODES = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}
)


def _level(method: str, code: grpc.StatusCode) -> str:
    if code in _ERROR_CODES:
        return "error"
    if code in _WARNING_CODES:
        return "warning"
    # A successful call is routine: at info, one line per call (with its redaction) cost 12 % of
    # unary CPU under load. Refusals (a client's mistake) stay at info, where an operator looks.
    return "debug" if code == grpc.StatusCode.OK else "info"


_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def dropped_by_level(logger_name: str, level: str) -> bool:
    """True when a structlog line at ``level`` from ``logger_name`` would be dropped by
    ``structlog.stdlib.filter_by_level`` (as configured by ``setup_logging``) anyway: the caller can
    skip building it. Every successful RPC ends with a debug line; building its fields, binding
    a logger and running the processors up to the filter cost ~4 % of a unary call's CPU for a
    line nobody sees. False whenever the chain has no such filter (structlog's defaults, a
    test's ``capture_logs``): those lines are kept, as before."""
    processors = structlog.get_config()["processors"]
    return structlog.stdlib.filter_by_level in processors and not logging.getLogger(logger_name).isEnabledFor(
        _LEVELS[level]
    )


def final_status(context: grpc.aio.ServicerContext, error: BaseException | None) -> grpc.StatusCode:
    """The status the client will see, from what the behaviour did (never from messages)."""
    if isinstance(error, asyncio.CancelledError):
        remaining = context.time_remaining()
        expired = remaining is not None and remaining <= 0
        return grpc.StatusCode.DEADLINE_EXCEEDED if expired else grpc.StatusCode.CANCELLED
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    if error is not None and not isinstance(error, grpc.aio.AbortError):
        return grpc.StatusCode.UNKNOWN  # what grpc.aio answers for an unhandled exception
    return grpc.StatusCode.OK


class LoggingInterceptor(grpc.aio.ServerInterceptor):
    """Binds ``rpc.method`` and ``peer`` for every line an RPC logs, then emits one canonical line.

    The line (``rpc finished``: method, code, duration_ms, client, peer) is written when the
    behaviour ends, before gRPC sends the status. Request and response messages are never
    logged. Successful calls log at debug (health probes and ``SendEvent`` alike: routine, and
    frequent); refused ones at info, failures at warning or error.
    Put it after the tracing interceptor (the line carries the trace id) and before auth (a
    refused call is logged too).
    """

    def __init__(self, logger: Any = None) -> None:
        # A logger given by the caller is always called: only our own is known to filter by level.
        self._filtered_name = None if logger is not None else _RPC_LOGGER
        self._log = logger if logger is not None else structlog.get_logger(_RPC_LOGGER)

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        started = 0.0

        def before(context: grpc.aio.ServicerContext) -> None:
            nonlocal started
            started = time.perf_counter()
            structlog.contextvars.bind_contextvars(**{"rpc.method": method, "peer": context.peer()})

        def after(context: grpc.aio.ServicerContext, error: BaseException | None) -> None:
            code = final_status(context, error)
            level = _level(method, code)
            if self._filtered_name is not None and dropped_by_level(self._filtered_name, level):
                return
            fields: dict[str, Any] = {
                "rpc.method": method,
                "peer": context.peer(),
                "code": code.name,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "client": current_client(),
            }
            if code == grpc.StatusCode.UNKNOWN and isinstance(error, Exception):
                fields["exc_info"] = error  # a bug: keep its traceback (redacted like any line)
            getattr(self._log, level)("rpc finished", **fields)

        handler = await continuation(handler_call_details)
        return wrap_rpc_handler(
            handler, lambda behaviour, streaming: around(behaviour, streaming, before, after)
        )
