"""The PostgreSQL store's schema: its SQL scripts in order (`MIGRATIONS`) and how a database
catches up with them (`migrate`, counted in the table `schema_version`).

The same tables, columns and constraints as SQLite's (`sqlite_schema`), spelled in
PostgreSQL's types: BOOLEAN for flags, `double precision` for times (PostgreSQL's REAL is
4 bytes and would round them), `text[]` for an event's performers, identity columns for
`seq`. Its own list of scripts: the two databases' histories are independent, and this one
starts from today's shape.
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import AsyncConnection
from psycopg.rows import DictRow

_SCHEMA_1 = """
-- Every entity has a `seq` as its real primary key, as in SQLite: listings come back in
-- insertion order. An identity never hands out a number twice, even after a rollback.
CREATE TABLE schools (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    name text NOT NULL,
    parents_see_recordings boolean NOT NULL,
    -- NULL: kept until someone deletes them.
    recordings_kept_days integer
        CHECK (recordings_kept_days IS NULL OR recordings_kept_days BETWEEN 1 AND 3650)
);

CREATE TABLE users (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    school_id text NOT NULL REFERENCES schools (id),
    role text NOT NULL,
    name text NOT NULL,
    -- Unique across the server; NULLs never clash, so any number of invited people may
    -- still be without one.
    login text UNIQUE,
    password_hash text,
    verified boolean NOT NULL,
    disabled boolean NOT NULL
);
CREATE INDEX users_by_school ON users (school_id, seq);

CREATE TABLE parent_children (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    child_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    UNIQUE (parent_id, child_id)
);
-- PostgreSQL indexes no referencing column by itself: without these, deleting an account
-- (an erasure) reads the whole table for each reference.
CREATE INDEX parent_children_by_child ON parent_children (child_id);

CREATE TABLE classes (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    school_id text NOT NULL REFERENCES schools (id),
    name text NOT NULL
);
CREATE INDEX classes_by_school ON classes (school_id, seq);

CREATE TABLE class_teachers (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    class_id text NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    UNIQUE (class_id, user_id)
);
CREATE INDEX class_teachers_by_user ON class_teachers (user_id);

CREATE TABLE class_pupils (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    class_id text NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    UNIQUE (class_id, user_id)
);
CREATE INDEX class_pupils_by_user ON class_pupils (user_id);

CREATE TABLE invites (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    school_id text NOT NULL REFERENCES schools (id),
    class_id text NOT NULL REFERENCES classes (id),
    role text NOT NULL,
    created_by text NOT NULL REFERENCES users (id),
    created_at double precision NOT NULL,
    expires_at double precision NOT NULL,
    max_uses integer NOT NULL,
    uses integer NOT NULL,
    revoked boolean NOT NULL,
    child_id text REFERENCES users (id)
);
CREATE INDEX invites_by_class ON invites (class_id, created_at, seq);

CREATE TABLE sessions (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    school_id text NOT NULL REFERENCES schools (id),
    kind text NOT NULL,
    title text NOT NULL,
    created_by text NOT NULL REFERENCES users (id),
    created_at double precision NOT NULL,
    class_id text REFERENCES classes (id),
    guest_id text REFERENCES users (id),
    scheduled_at double precision,
    state text NOT NULL,
    started_at double precision,
    ended_at double precision,
    -- An event's performers (user ids), in their order.
    performers text[] NOT NULL DEFAULT '{}',
    -- An event's guest link; NULLs never clash.
    link text UNIQUE,
    hls_only boolean NOT NULL DEFAULT false
);
CREATE INDEX sessions_by_school ON sessions (school_id, seq);

-- `user_id` has no foreign key: a stay records whoever was in the room (its `name` is kept
-- alongside for the same reason), and the report must survive whatever happens to accounts.
CREATE TABLE attendance (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id text NOT NULL REFERENCES sessions (id),
    user_id text NOT NULL,
    name text NOT NULL,
    joined_at double precision NOT NULL,
    left_at double precision
);
CREATE INDEX attendance_by_session ON attendance (session_id, joined_at, id);

-- The session's chat, kept for the recording's playback page; like attendance, it names
-- whoever spoke without tying the line to an account.
CREATE TABLE chat (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id text NOT NULL REFERENCES sessions (id),
    user_id text NOT NULL,
    name text NOT NULL,
    text text NOT NULL,
    ts double precision NOT NULL
);
CREATE INDEX chat_by_session ON chat (session_id, id);

-- Who a host removed from a session: they stay out, across a restart, until it ends.
CREATE TABLE removals (
    session_id text NOT NULL REFERENCES sessions (id),
    user_id text NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

-- Sign-ins: every API and room token names one, so signing out ends it at once.
CREATE TABLE sign_ins (
    id text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at double precision NOT NULL,
    expires_at double precision NOT NULL,
    revoked_at double precision
);
CREATE INDEX sign_ins_by_user ON sign_ins (user_id);

-- One-time links that set a person's password. Only the secret's hash is kept; a person has
-- at most one (UNIQUE user_id: a newer link replaces the older). `created_by` has no foreign
-- key: the operator's command makes links too.
CREATE TABLE password_links (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    secret_hash text NOT NULL UNIQUE,
    user_id text NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_by text,
    created_at double precision NOT NULL,
    expires_at double precision NOT NULL
);
"""

_SCHEMA_SCHEDULE = """
-- The schedule (issue 18): how long a session is planned to last, and whether its teacher
-- called it off before it started; the upcoming ones are read by school and start.
ALTER TABLE sessions ADD COLUMN duration_minutes integer
    CHECK (duration_minutes IS NULL OR duration_minutes BETWEEN 1 AND 600);
ALTER TABLE sessions ADD COLUMN cancelled boolean NOT NULL DEFAULT false;
CREATE INDEX sessions_upcoming ON sessions (school_id, state, scheduled_at);
"""

_SCHEMA_LESSON_RECORD = """
-- The lesson's record (issue 18): every poll of a session (a quiz has its correct option) and
-- each person's latest answer, and the school's time zone for its reports. Like attendance,
-- an answer names whoever gave it without a foreign key to an account; erasing a person
-- deletes their answers.
ALTER TABLE schools ADD COLUMN time_zone text NOT NULL DEFAULT 'Europe/Moscow';
CREATE TABLE polls (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    session_id text NOT NULL REFERENCES sessions (id),
    question text NOT NULL,
    options text[] NOT NULL,
    multiple boolean NOT NULL,
    asked_by text NOT NULL,
    asked_at double precision NOT NULL,
    correct integer,
    closed_at double precision,
    show_results boolean NOT NULL
);
CREATE INDEX polls_by_session ON polls (session_id, asked_at, seq);
CREATE TABLE poll_answers (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    poll_id text NOT NULL REFERENCES polls (id),
    user_id text NOT NULL,
    name text NOT NULL,
    choices integer[] NOT NULL,
    answered_at double precision NOT NULL,
    UNIQUE (poll_id, user_id)
);
CREATE INDEX poll_answers_by_user ON poll_answers (user_id);
"""

_SCHEMA_MATERIALS = """
-- Materials (issue 18): a class's PDFs, each file at DATA_DIR/materials/<id>.pdf. A material
-- uploaded to a lesson names it; one uploaded to the class does not.
CREATE TABLE materials (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    school_id text NOT NULL REFERENCES schools (id),
    class_id text NOT NULL REFERENCES classes (id),
    session_id text REFERENCES sessions (id),
    title text NOT NULL,
    pages integer NOT NULL CHECK (pages > 0),
    size bigint NOT NULL CHECK (size > 0),
    uploaded_by text NOT NULL REFERENCES users (id),
    created_at double precision NOT NULL
);
CREATE INDEX materials_by_class ON materials (class_id, seq);
CREATE INDEX materials_by_uploader ON materials (uploaded_by);
"""

MIGRATIONS: list[str] = [
    _SCHEMA_1,
    _SCHEMA_SCHEDULE,
    _SCHEMA_LESSON_RECORD,
    _SCHEMA_MATERIALS,
]
"""SQL scripts in order; `schema_version.version` is how many of them the database has had.

Append only: a released script is never edited, since databases in the field already ran it.
"""

_MIGRATION_LOCK = 0x636C6173  # any constant, the same for every server of one database
"""The advisory lock a migration step holds: two servers starting at once take turns, and
the second finds the step done."""


async def migrate(conn: AsyncConnection[DictRow], migrations: Sequence[str]) -> None:
    """Run the scripts of `migrations` the database has not had yet, each in a transaction
    of its own with the version it brings; `conn` is in autocommit mode."""
    known = len(migrations)
    while True:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)"
            )
            version = await _version(conn)
            if version > known:
                # Written by a newer server: guessing at its tables could only corrupt them.
                raise RuntimeError(
                    f"database schema version {version} is newer than this server (knows {known})"
                )
            if version == known:
                return
            await conn.execute(migrations[version])
            await conn.execute("UPDATE schema_version SET version = %s", (version + 1,))


async def _version(conn: AsyncConnection[DictRow]) -> int:
    """The database's schema version; 0 (and the row that says so) for a new database."""
    row = await (await conn.execute("SELECT version FROM schema_version")).fetchone()
    if row is None:
        await conn.execute("INSERT INTO schema_version (version) VALUES (0)")
        return 0
    version: int = row["version"]
    return version
