"""What a connector implements and returns, and the kit it is built from.

- ``protocol``: the ``Connector`` Protocol the core calls (and its two optional members);
- ``types``: the plain data a connector declares and returns (``Limits``, ``Outcome`` …);
- ``kit``: the building blocks every connector shares (``prepared_event``, ``outcome_for_each``,
  ``BaseConnector`` …).

Everything public is importable from ``signalmesh.connector`` itself.
"""

from __future__ import annotations

# Each module says what it exports (its __all__); this package hands on all of it.
from signalmesh.connector import kit, protocol, types
from signalmesh.connector.kit import *  # noqa: F403
from signalmesh.connector.protocol import *  # noqa: F403
from signalmesh.connector.types import *  # noqa: F403

__all__ = [*types.__all__, *protocol.__all__, *kit.__all__]
