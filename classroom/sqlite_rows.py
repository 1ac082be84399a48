"""The stores' rows and the models they hold: a model's column values for its INSERT or
UPDATE, and a fresh model from a row.

Separate from the statements: these say how a model is spelled in a row (enums as their
values, booleans as bool, which SQLite keeps as 0/1, an event's performers as JSON), which
every aggregate's statements share and nothing else needs to know. The PostgreSQL store
reads and writes its rows with the same functions (`postgres_*`): its booleans are BOOLEAN
and its performers a `text[]`, which `performers_from` reads too.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from .models import (
    Attendance,
    Invite,
    School,
    SchoolClass,
    Session,
    SessionKind,
    SessionState,
    User,
)
from .roles import Role

Value = str | int | float | bool | None
"""What a column holds: enums go in as their values, booleans as bool (sqlite3 binds them as
0/1, psycopg as BOOLEAN)."""


class Row(Protocol):
    """A row read by column name: `Row`, or psycopg's `dict_row`."""

    def __getitem__(self, column: str, /) -> Any: ...


# model → row


def school_values(school: School) -> dict[str, Value]:
    return {
        "id": school.id,
        "name": school.name,
        "parents_see_recordings": school.parents_see_recordings,
        "recordings_kept_days": school.recordings_kept_days,
        "time_zone": school.time_zone,
    }


def user_values(user: User) -> dict[str, Value]:
    return {
        "id": user.id,
        "school_id": user.school_id,
        "role": user.role.value,
        "name": user.name,
        "login": user.login,
        "password_hash": user.password_hash,
        "verified": user.verified,
        "disabled": user.disabled,
    }


def class_values(school_class: SchoolClass) -> dict[str, Value]:
    return {"id": school_class.id, "school_id": school_class.school_id, "name": school_class.name}


def invite_values(invite: Invite) -> dict[str, Value]:
    return {
        "id": invite.id,
        "school_id": invite.school_id,
        "class_id": invite.class_id,
        "role": invite.role.value,
        "created_by": invite.created_by,
        "created_at": invite.created_at,
        "expires_at": invite.expires_at,
        "max_uses": invite.max_uses,
        "uses": invite.uses,
        "revoked": invite.revoked,
        "child_id": invite.child_id,
    }


def session_values(session: Session) -> dict[str, Value]:
    return {
        "id": session.id,
        "school_id": session.school_id,
        "kind": session.kind.value,
        "title": session.title,
        "created_by": session.created_by,
        "created_at": session.created_at,
        "class_id": session.class_id,
        "guest_id": session.guest_id,
        "scheduled_at": session.scheduled_at,
        "state": session.state.value,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "performers": json.dumps(list(session.performers)),
        "link": session.link,
        "hls_only": session.hls_only,
        "duration_minutes": session.duration_minutes,
        "cancelled": session.cancelled,
    }


# row → model: fresh objects every time, so a caller's edits never reach the store unsaved


def school_from_row(row: Row) -> School:
    return School(
        id=row["id"],
        name=row["name"],
        parents_see_recordings=bool(row["parents_see_recordings"]),
        recordings_kept_days=row["recordings_kept_days"],
        time_zone=row["time_zone"],
    )


def user_from_row(row: Row, children: list[str]) -> User:
    return User(
        id=row["id"],
        school_id=row["school_id"],
        role=Role(row["role"]),
        name=row["name"],
        login=row["login"],
        password_hash=row["password_hash"],
        verified=bool(row["verified"]),
        children=children,
        disabled=bool(row["disabled"]),
    )


def school_class_from_row(row: Row, teachers: list[str], pupils: list[str]) -> SchoolClass:
    return SchoolClass(
        id=row["id"], school_id=row["school_id"], name=row["name"], teachers=teachers, pupils=pupils
    )


def invite_from_row(row: Row) -> Invite:
    return Invite(
        id=row["id"],
        school_id=row["school_id"],
        class_id=row["class_id"],
        role=Role(row["role"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        max_uses=row["max_uses"],
        uses=row["uses"],
        revoked=bool(row["revoked"]),
        child_id=row["child_id"],
    )


def session_from_row(row: Row) -> Session:
    return Session(
        id=row["id"],
        school_id=row["school_id"],
        kind=SessionKind(row["kind"]),
        title=row["title"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        class_id=row["class_id"],
        guest_id=row["guest_id"],
        scheduled_at=row["scheduled_at"],
        state=SessionState(row["state"]),
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        performers=performers_from(row["performers"]),
        link=row["link"],
        hls_only=bool(row["hls_only"]),
        duration_minutes=row["duration_minutes"],
        cancelled=bool(row["cancelled"]),
    )


def performers_from(column: str | list[str]) -> tuple[str, ...]:
    """An event's performers from SQLite's JSON text or PostgreSQL's `text[]`."""
    return tuple(json.loads(column) if isinstance(column, str) else column)


def attendance_from_row(row: Row) -> Attendance:
    return Attendance(
        session_id=row["session_id"],
        user_id=row["user_id"],
        name=row["name"],
        joined_at=row["joined_at"],
        left_at=row["left_at"],
    )
