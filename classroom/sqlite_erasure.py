"""A person's erasure in the embedded store: every row that names them, in the caller's one
transaction (`SqliteDatabase.erase_user`), so a failure anywhere leaves everything as it was."""

from __future__ import annotations

import json
import sqlite3

from .store import ErasedRows


def erase_user(
    db: sqlite3.Connection, user_id: str, reassign_to: str, erased_name: str, erased_id: str
) -> ErasedRows:
    """Run inside a write transaction. The account's own row goes last: a table this module
    does not know that still refers to the account (without ON DELETE CASCADE) makes that
    DELETE fail, and the caller's rollback undoes every step before it."""
    if db.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
        raise KeyError(f"no user {user_id!r}")
    sign_ins = [r[0] for r in db.execute("SELECT id FROM sign_ins WHERE user_id = ?", (user_id,))]

    def run(sql: str, *values: object) -> int:
        return db.execute(sql, values).rowcount

    memberships = run("DELETE FROM class_teachers WHERE user_id = ?", user_id) + run(
        "DELETE FROM class_pupils WHERE user_id = ?", user_id
    )
    parent_links = run(
        "DELETE FROM parent_children WHERE parent_id = ? OR child_id = ?", user_id, user_id
    )
    # A parent invite for this child leads nowhere now; the class's other links stay usable,
    # held by the admin who erased their maker.
    invites_deleted = run("DELETE FROM invites WHERE child_id = ?", user_id)
    invites_reassigned = run(
        "UPDATE invites SET created_by = ? WHERE created_by = ?", reassign_to, user_id
    )
    # The class's lessons (and their recordings) are the school's: they stay, under the admin.
    sessions_reassigned = run(
        "UPDATE sessions SET created_by = ? WHERE created_by = ?", reassign_to, user_id
    )
    unlinked = run("UPDATE sessions SET guest_id = NULL WHERE guest_id = ?", user_id)
    needle = f"%{json.dumps(user_id)}%"
    for session_id, performers in db.execute(
        "SELECT id, performers FROM sessions WHERE performers LIKE ?", (needle,)
    ).fetchall():
        kept = [p for p in json.loads(performers) if p != user_id]
        db.execute(
            "UPDATE sessions SET performers = ? WHERE id = ?", (json.dumps(kept), session_id)
        )
        unlinked += 1
    # The line stays, emptied: the others' replies around it keep their order and sense.
    chat_lines = run(
        "UPDATE chat SET user_id = ?, name = ?, text = ? WHERE user_id = ?",
        erased_id,
        erased_name,
        erased_name,
        user_id,
    )
    attendance = run("DELETE FROM attendance WHERE user_id = ?", user_id)
    removals = run("DELETE FROM removals WHERE user_id = ?", user_id)
    # A pupil's answers are theirs: gone with them. A poll stays with its lesson, under the
    # admin as the lesson does.
    poll_answers = run("DELETE FROM poll_answers WHERE user_id = ?", user_id)
    run("UPDATE polls SET asked_by = ? WHERE asked_by = ?", reassign_to, user_id)
    # A class's materials are the school's, like its lessons: they stay, under the admin.
    materials = run(
        "UPDATE materials SET uploaded_by = ? WHERE uploaded_by = ?", reassign_to, user_id
    )
    run("DELETE FROM sign_ins WHERE user_id = ?", user_id)
    run("DELETE FROM users WHERE id = ?", user_id)
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
