"""The gateway service: ingest, validate, prepare, decide (via policy), enqueue, dispatch."""
