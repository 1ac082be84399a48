"""A person's erasure in the PostgreSQL store: every row that names them, in the caller's one
transaction (`PostgresStore.erase_user`), so a failure anywhere leaves everything as it was.

The same steps and counts as `sqlite_erasure`; an event's performers are a `text[]` here, so
one UPDATE takes the person out of every event that names them.
"""

from __future__ import annotations

from .postgres_connection import Connection
from .store import ErasedRows


async def erase_user(
    conn: Connection, user_id: str, reassign_to: str, erased_name: str, erased_id: str
) -> ErasedRows:
    """Run inside a transaction. The account's row is locked first: whatever else would
    name it meanwhile (a sign-in, a child link, a class membership: their foreign keys
    share-lock the row) waits for this transaction and then fails on an account that no
    longer exists, so nothing naming the person outlives the erasure. The account's own
    row goes last: a table this module does not know that still refers to it makes that
    DELETE fail, and the caller's rollback undoes every step before it."""
    found = await conn.execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", (user_id,))
    if await found.fetchone() is None:
        raise KeyError(f"no user {user_id!r}")

    async def run(sql: str, *values: object) -> int:
        return (await conn.execute(sql, values)).rowcount

    memberships = await run("DELETE FROM class_teachers WHERE user_id = %s", user_id) + await run(
        "DELETE FROM class_pupils WHERE user_id = %s", user_id
    )
    parent_links = await run(
        "DELETE FROM parent_children WHERE parent_id = %s OR child_id = %s", user_id, user_id
    )
    # A parent invite for this child leads nowhere now; the class's other links stay usable,
    # held by the admin who erased their maker.
    invites_deleted = await run("DELETE FROM invites WHERE child_id = %s", user_id)
    invites_reassigned = await run(
        "UPDATE invites SET created_by = %s WHERE created_by = %s", reassign_to, user_id
    )
    # The class's lessons (and their recordings) are the school's: they stay, under the admin.
    sessions_reassigned = await run(
        "UPDATE sessions SET created_by = %s WHERE created_by = %s", reassign_to, user_id
    )
    unlinked = await run("UPDATE sessions SET guest_id = NULL WHERE guest_id = %s", user_id)
    unlinked += await run(
        "UPDATE sessions SET performers = array_remove(performers, %s) WHERE %s = ANY (performers)",
        user_id,
        user_id,
    )
    # The line stays, emptied: the others' replies around it keep their order and sense.
    chat_lines = await run(
        "UPDATE chat SET user_id = %s, name = %s, text = %s WHERE user_id = %s",
        erased_id,
        erased_name,
        erased_name,
        user_id,
    )
    attendance = await run("DELETE FROM attendance WHERE user_id = %s", user_id)
    removals = await run("DELETE FROM removals WHERE user_id = %s", user_id)
    # A pupil's answers are theirs: gone with them. A poll stays with its lesson, under the
    # admin as the lesson does.
    poll_answers = await run("DELETE FROM poll_answers WHERE user_id = %s", user_id)
    await run("UPDATE polls SET asked_by = %s WHERE asked_by = %s", reassign_to, user_id)
    # A class's materials are the school's, like its lessons: they stay, under the admin.
    materials = await run(
        "UPDATE materials SET uploaded_by = %s WHERE uploaded_by = %s", reassign_to, user_id
    )
    ended = await conn.execute(
        "WITH gone AS (DELETE FROM sign_ins WHERE user_id = %s RETURNING id, created_at)"
        " SELECT id FROM gone ORDER BY created_at, id",
        (user_id,),
    )
    sign_ins = [row["id"] for row in await ended.fetchall()]
    await run("DELETE FROM users WHERE id = %s", user_id)
    return ErasedRows(
        sign_ins=sign_ins,
        class_memberships=memberships,
        parent_links=parent_links,
        invites_deleted=invites_deleted,
        invites_reassigned=invites_reassigned,
        sessions_reassigned=sessions_reassigned,
        sessions_unlinked=unlinked,
        chat_lines=chat_lines,
        attendance=attendance,
        removals=removals,
        poll_answers=poll_answers,
        materials_reassigned=materials,
    )
