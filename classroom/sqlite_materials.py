"""The materials table of the embedded store (`SqliteDatabase.materials`): one row per PDF a
class's teacher uploaded; the file itself is under DATA_DIR/materials (`material_files`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from .materials import Material
from .sqlite_connection import conflicts
from .sqlite_sign_ins import Transaction

_COLUMNS = "id, school_id, class_id, session_id, title, pages, size, uploaded_by, created_at"


class SqliteMaterials:
    """`store.MaterialRepository` on the store's own connection and transactions."""

    def __init__(self, db: sqlite3.Connection, transaction: Transaction) -> None:
        self._db = db
        self._transaction = transaction

    def add(self, material: Material) -> None:
        with self._transaction(), conflicts({"materials.id": "this material id is taken"}):
            self._db.execute(
                f"INSERT INTO materials ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    material.id,
                    material.school_id,
                    material.class_id,
                    material.session_id,
                    material.title,
                    material.pages,
                    material.size,
                    material.uploaded_by,
                    material.created_at,
                ),
            )

    def get(self, material_id: str) -> Material | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM materials WHERE id = ?", (material_id,)
        ).fetchone()
        return None if row is None else material_of(row)

    def of_class(self, class_id: str) -> list[Material]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM materials WHERE class_id = ? ORDER BY seq DESC", (class_id,)
        )
        return [material_of(row) for row in rows]

    def delete(self, material_id: str) -> bool:
        with self._transaction():
            cursor = self._db.execute("DELETE FROM materials WHERE id = ?", (material_id,))
        return cursor.rowcount > 0


def material_of(row: sqlite3.Row | Mapping[str, Any]) -> Material:
    """A row of `materials` as a Material (PostgreSQL's rows too)."""
    return Material(
        id=str(row["id"]),
        school_id=str(row["school_id"]),
        class_id=str(row["class_id"]),
        session_id=None if row["session_id"] is None else str(row["session_id"]),
        title=str(row["title"]),
        pages=int(row["pages"]),
        size=int(row["size"]),
        uploaded_by=str(row["uploaded_by"]),
        created_at=float(row["created_at"]),
    )
