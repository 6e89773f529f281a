"""Whole-batch SQLite statements: many rows per statement, in a few fixed shapes.

``executemany`` steps its statement once per row, and every step leaves and re-takes the GIL:
beside a busy event loop each re-take may wait for the loop's switch interval, and each step
pays its own bind and reset. One ``INSERT ... VALUES (...), (...)`` (or one ``IN (...)`` list)
per chunk steps once for the whole chunk. Chunk sizes are powers of two (500 rows = 256 + 128 +
64 + 32 + 16 + 4), so a handful of statement texts cover every batch size and stay in the
connection's statement cache: preparing a 500-row statement costs more than running it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import chain
from typing import TypeVar

T = TypeVar("T")

# Rows per statement at most; SQLite's own bound on "?" placeholders may lower it.
_LARGEST = 256


def shapes(count: int, width: int, limit: int) -> Iterator[tuple[int, int]]:
    """(start, size) chunks of ``count`` rows of ``width`` values each: sizes are powers of two,
    largest first, each within ``limit`` placeholders."""
    largest = _LARGEST
    while largest > 1 and largest * width > limit:
        largest //= 2
    start = 0
    while start < count:
        size = min(largest, 1 << ((count - start).bit_length() - 1))
        yield start, size
        start += size


@lru_cache(maxsize=512)
def values(width: int, rows: int) -> str:
    """``(?, ?), (?, ?)`` for ``rows`` rows of ``width`` placeholders."""
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * rows)


@lru_cache(maxsize=512)
def statement(text: str, width: int, rows: int) -> str:
    """``text`` with ``{values}`` replaced by ``values(width, rows)``, built once per shape."""
    return text.replace("{values}", values(width, rows))


@lru_cache(maxsize=64)
def marks(count: int) -> str:
    """``?, ?, ?`` for an ``IN (...)`` list of ``count`` values."""
    return ", ".join("?" * count)


def placeholder_limit(connection: sqlite3.Connection) -> int:
    """How many "?" one statement may hold (999 in old SQLite builds, 32766 since 3.32)."""
    return connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


def insert_rows(
    connection: sqlite3.Connection, head: str, rows: Sequence[tuple[object, ...]], width: int
) -> None:
    """``head`` (``INSERT ... (columns) VALUES {values}``) once per chunk of ``rows``, in row
    order: the same rows, the same conflicts resolved in the same order, as one statement per row."""
    for start, size in shapes(len(rows), width, placeholder_limit(connection)):
        chunk = rows[start : start + size]
        connection.execute(statement(head, width, size), [*chain.from_iterable(chunk)])


def in_chunks(items: Sequence[T], limit: int, taken: int = 0) -> Iterator[Sequence[T]]:
    """``items`` in chunks for ``IN (...)`` lists, each within ``limit`` placeholders counting
    ``taken`` other placeholders of the statement."""
    for start, size in shapes(len(items), 1, limit - taken):
        yield items[start : start + size]
