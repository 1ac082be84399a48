"""The materials table of the PostgreSQL store (`PostgresStore.materials`): one row per PDF a
class's teacher uploaded; the file itself is under DATA_DIR/materials (`material_files`).

Every method is one statement, so one transaction, and none needs a lock of its own.
"""

from __future__ import annotations

from .materials import Material
from .postgres_connection import Pool, conflicts
from .sqlite_materials import material_of

_COLUMNS = "id, school_id, class_id, session_id, title, pages, size, uploaded_by, created_at"


class PostgresMaterials:
    """`store.MaterialRepository` on the store's pool."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def add(self, material: Material) -> None:
        async with self._pool.connection() as conn:
            with conflicts({"materials_id_key": "this material id is taken"}):
                await conn.execute(
                    f"INSERT INTO materials ({_COLUMNS})"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
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

    async def get(self, material_id: str) -> Material | None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} FROM materials WHERE id = %s", (material_id,)
            )
            row = await cursor.fetchone()
        return None if row is None else material_of(row)

    async def of_class(self, class_id: str) -> list[Material]:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} FROM materials WHERE class_id = %s ORDER BY seq DESC",
                (class_id,),
            )
            rows = await cursor.fetchall()
        return [material_of(row) for row in rows]

    async def delete(self, material_id: str) -> bool:
        async with self._pool.connection() as conn:
            cursor = await conn.execute("DELETE FROM materials WHERE id = %s", (material_id,))
        return cursor.rowcount > 0
