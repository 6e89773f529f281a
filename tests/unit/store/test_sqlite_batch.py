"""The whole-batch statement helpers: chunks that tile a batch in a few fixed shapes, and
multi-row inserts that keep the row order a statement per row would have."""

from __future__ import annotations

import sqlite3

import pytest
from signalmesh.store import sqlite_batch


@pytest.mark.parametrize(("width", "limit"), [(1, 32766), (3, 32762), (7, 999), (12, 999), (12, 40), (9, 9)])
def test_chunks_tile_a_batch_in_powers_of_two_within_the_placeholder_limit(width: int, limit: int) -> None:
    for count in range(0, 1100):
        chunks = list(sqlite_batch.shapes(count, width, limit))
        assert [start for start, _ in chunks] == [
            sum(size for _, size in chunks[:n]) for n in range(len(chunks))
        ]
        assert sum(size for _, size in chunks) == count
        for _, size in chunks:
            assert size & (size - 1) == 0 and 1 <= size <= 256
            assert size * width <= limit
    # 500 rows: six statements, not 500.
    assert [size for _, size in sqlite_batch.shapes(500, 12, 32766)] == [256, 128, 64, 32, 16, 4]


def test_a_batch_of_any_size_uses_only_a_few_statement_texts() -> None:
    sizes = {size for count in range(1, 1100) for _, size in sqlite_batch.shapes(count, 12, 32766)}
    assert sizes == {1, 2, 4, 8, 16, 32, 64, 128, 256}


@pytest.mark.parametrize("limit", [999, 6])
def test_insert_rows_keeps_the_row_order_and_the_last_replacement(limit: int) -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    connection.execute(
        "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE, value TEXT)"
    )
    rows = [(f"k{n % 37}", f"v{n}") for n in range(300)]

    sqlite_batch.insert_rows(connection, "INSERT OR REPLACE INTO items (key, value) VALUES {values}", rows, 2)

    kept = dict(connection.execute("SELECT key, value FROM items"))
    assert kept == {key: value for key, value in rows}, "the last row of each key wins, as row by row"
    # Ids follow the rows: each replacement took the next id, the last one being the 300th.
    assert connection.execute("SELECT MAX(id), COUNT(*) FROM items").fetchone() == (300, 37)
    ids = [key for (key,) in connection.execute("SELECT key FROM items ORDER BY id")]
    assert ids == [key for key, _ in rows[-37:]]


def test_in_chunks_leave_room_for_the_statements_other_placeholders() -> None:
    chunks = list(sqlite_batch.in_chunks(list(range(100)), limit=20, taken=4))
    assert [item for chunk in chunks for item in chunk] == list(range(100))
    assert max(len(chunk) for chunk in chunks) == 16
