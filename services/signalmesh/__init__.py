"""SignalMesh: a plugin-based gRPC mesh that makes every conversion signal correct,
deduplicated, explainable and traceable before it reaches an ad platform."""

__version__ = "0.1.0"
