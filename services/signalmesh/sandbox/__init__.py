"""The platform sandbox: a local HTTP server that speaks each ad platform's endpoint, validates
like the real API, records what it accepted and injects faults (DESIGN.md §5)."""

from __future__ import annotations

from signalmesh.sandbox.app import SandboxServer, build_app, run_sandbox, start_sandbox

__all__ = ["SandboxServer", "build_app", "run_sandbox", "start_sandbox"]
