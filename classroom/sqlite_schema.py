"""The embedded store's schema: its SQL scripts in order (`MIGRATIONS`) and how a database
catches up with them (`migrate`, counted by `PRAGMA user_version`).

Separate from the store: the tables are written once and only ever appended to, while the
statements that read and write them change with the code. A later PostgreSQL store keeps its
own schema; this one is SQLite's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

_SCHEMA_1 = """
-- Every entity has an integer `seq` as its real primary key: listings come back in insertion
-- order, and unlike the implicit rowid of a table keyed by TEXT, VACUUM never renumbers it.
-- AUTOINCREMENT: a number is never reused, so a later row always sorts after an earlier one.
CREATE TABLE schools (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    parents_see_recordings INTEGER NOT NULL CHECK (parents_see_recordings IN (0, 1))
);

CREATE TABLE users (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    school_id TEXT NOT NULL REFERENCES schools (id),
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    -- Unique across the server; NULLs never clash, so any number of invited people may
    -- still be without one.
    login TEXT UNIQUE,
    password_hash TEXT,
    verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
    disabled INTEGER NOT NULL CHECK (disabled IN (0, 1))
);
CREATE INDEX users_by_school ON users (school_id, seq);

CREATE TABLE parent_children (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    child_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    UNIQUE (parent_id, child_id)
);

CREATE TABLE classes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    school_id TEXT NOT NULL REFERENCES schools (id),
    name TEXT NOT NULL
);
CREATE INDEX classes_by_school ON classes (school_id, seq);

CREATE TABLE class_teachers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    class_id TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    UNIQUE (class_id, user_id)
);

CREATE TABLE class_pupils (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    class_id TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    UNIQUE (class_id, user_id)
);

CREATE TABLE invites (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    school_id TEXT NOT NULL REFERENCES schools (id),
    class_id TEXT NOT NULL REFERENCES classes (id),
    role TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    max_uses INTEGER NOT NULL,
    uses INTEGER NOT NULL,
    revoked INTEGER NOT NULL CHECK (revoked IN (0, 1)),
    child_id TEXT REFERENCES users (id)
);
CREATE INDEX invites_by_class ON invites (class_id, created_at, seq);

CREATE TABLE sessions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    school_id TEXT NOT NULL REFERENCES schools (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at REAL NOT NULL,
    class_id TEXT REFERENCES classes (id),
    guest_id TEXT REFERENCES users (id),
    scheduled_at REAL,
    state TEXT NOT NULL,
    started_at REAL,
    ended_at REAL
);
CREATE INDEX sessions_by_school ON sessions (school_id, seq);

-- `user_id` has no foreign key: a stay records whoever was in the room (its `name` is kept
-- alongside for the same reason), and the report must survive whatever happens to accounts.
CREATE TABLE attendance (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    joined_at REAL NOT NULL,
    left_at REAL
);
CREATE INDEX attendance_by_session ON attendance (session_id, joined_at, id);

-- The session's chat, kept for the recording's playback page; like attendance, it names
-- whoever spoke without tying the line to an account.
CREATE TABLE chat (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    ts REAL NOT NULL
);
CREATE INDEX chat_by_session ON chat (session_id, id);

-- Who a host removed from a session: they stay out, across a restart, until it ends.
CREATE TABLE removals (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    user_id TEXT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
"""

_SCHEMA_2 = """
-- Events (issue 7): who performs, and the link that lets guests watch.
ALTER TABLE sessions ADD COLUMN performers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sessions ADD COLUMN link TEXT;
CREATE UNIQUE INDEX sessions_by_link ON sessions (link) WHERE link IS NOT NULL;
"""

_SCHEMA_3 = """
-- An event whose audience watches over HLS only (its organiser's choice).
ALTER TABLE sessions ADD COLUMN hls_only INTEGER NOT NULL DEFAULT 0;
"""

_SCHEMA_4 = """
-- Sign-ins (issue 15): every API and room token names one, so signing out ends it at once.
CREATE TABLE sign_ins (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    revoked_at REAL
);
CREATE INDEX sign_ins_by_user ON sign_ins (user_id);
"""

_SCHEMA_ADMINISTRATION = """
-- Running a school (issue 15): one-time links that set a person's password. Only the secret's
-- hash is kept; a person has at most one (UNIQUE user_id: a newer link replaces the older).
-- `created_by` has no foreign key: the operator's command makes links too.
CREATE TABLE password_links (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    secret_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_by TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
"""

_SCHEMA_RETENTION = """
-- Retention (issue 15): days a school keeps its recordings after they stopped; NULL: until
-- someone deletes them.
ALTER TABLE schools ADD COLUMN recordings_kept_days INTEGER
    CHECK (recordings_kept_days IS NULL OR recordings_kept_days BETWEEN 1 AND 3650);
"""

_SCHEMA_SCHEDULE = """
-- The schedule (issue 18): how long a session is planned to last, and whether its teacher
-- called it off before it started; the upcoming ones are read by school and start.
ALTER TABLE sessions ADD COLUMN duration_minutes INTEGER
    CHECK (duration_minutes IS NULL OR duration_minutes BETWEEN 1 AND 600);
ALTER TABLE sessions ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_upcoming ON sessions (school_id, state, scheduled_at);
"""

_SCHEMA_LESSON_RECORD = """
-- The lesson's record (issue 18): every poll of a session (a quiz has its correct option) and
-- each person's latest answer, and the school's time zone for its reports. Like attendance,
-- an answer names whoever gave it without a foreign key to an account; erasing a person
-- deletes their answers.
ALTER TABLE schools ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Moscow';
CREATE TABLE polls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    question TEXT NOT NULL,
    options TEXT NOT NULL,
    multiple INTEGER NOT NULL CHECK (multiple IN (0, 1)),
    asked_by TEXT NOT NULL,
    asked_at REAL NOT NULL,
    correct INTEGER,
    closed_at REAL,
    show_results INTEGER NOT NULL CHECK (show_results IN (0, 1))
);
CREATE INDEX polls_by_session ON polls (session_id, asked_at, seq);
CREATE TABLE poll_answers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    poll_id TEXT NOT NULL REFERENCES polls (id),
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    choices TEXT NOT NULL,
    answered_at REAL NOT NULL,
    UNIQUE (poll_id, user_id)
);
CREATE INDEX poll_answers_by_user ON poll_answers (user_id);
"""

_SCHEMA_MATERIALS = """
-- Materials (issue 18): a class's PDFs, each file at DATA_DIR/materials/<id>.pdf. A material
-- uploaded to a lesson names it; one uploaded to the class does not.
CREATE TABLE materials (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    school_id TEXT NOT NULL REFERENCES schools (id),
    class_id TEXT NOT NULL REFERENCES classes (id),
    session_id TEXT REFERENCES sessions (id),
    title TEXT NOT NULL,
    pages INTEGER NOT NULL CHECK (pages > 0),
    size INTEGER NOT NULL CHECK (size > 0),
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    created_at REAL NOT NULL
);
CREATE INDEX materials_by_class ON materials (class_id, seq);
"""

MIGRATIONS: list[str] = [
    _SCHEMA_1,
    _SCHEMA_2,
    _SCHEMA_3,
    _SCHEMA_4,
    _SCHEMA_ADMINISTRATION,
    _SCHEMA_RETENTION,
    _SCHEMA_SCHEDULE,
    _SCHEMA_LESSON_RECORD,
    _SCHEMA_MATERIALS,
]
"""SQL scripts in order; the database's `user_version` is how many of them it has had.

Append only: a released script is never edited, since databases in the field already ran it.
A script runs inside a transaction with foreign keys enforced, so a table rebuild must keep
the references valid at every statement.
"""


def migrate(db: sqlite3.Connection, path: str, migrations: Sequence[str]) -> None:
    """Run the scripts of `migrations` the database has not had yet, each in a transaction of
    its own; `path` names the database in the error for a newer one."""
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    known = len(migrations)
    if version > known:
        # Written by a newer server: guessing at its tables could only corrupt them.
        raise RuntimeError(
            f"{path}: database schema version {version} is newer than this server (knows {known})"
        )
    for number, script in enumerate(migrations[version:], start=version + 1):
        # executescript() commits any open transaction before it starts, so the transaction
        # has to live inside the script. user_version is in the database header, written
        # (or rolled back) with the rest of the transaction.
        try:
            db.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;\n"
            )
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
