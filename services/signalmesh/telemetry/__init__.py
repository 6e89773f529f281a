"""Telemetry set up once per service at start-up: traces, logs and metrics.

``tracing`` (OpenTelemetry traces and W3C propagation over gRPC), ``logging`` (structlog with
trace ids and redaction) and ``metrics`` (the mesh's OpenTelemetry instruments). Business code
only names attributes and records measurements; it never configures exporters.
"""
