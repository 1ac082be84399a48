"""The embedded `Repository`: one SQLite file (or ":memory:"), stdlib `sqlite3` only.

Each write method is one `BEGIN IMMEDIATE` … `COMMIT`, so it writes everything or nothing; a
uniqueness clash comes out as `store.Conflict` naming what clashed. The schema is versioned
with `PRAGMA user_version` and grows only by appending to `MIGRATIONS`.

A store is one connection, used from the thread that opened it (the server calls it from its
event loop: every method is a few short statements).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from . import sqlite_password_links
from .models import (
    Attendance,
    ChatLine,
    Invite,
    School,
    SchoolClass,
    Session,
    SessionKind,
    SessionState,
    User,
)
from .password_links import PasswordLink
from .roles import Role
from .sqlite_erasure import erase_user
from .sqlite_sign_ins import SqliteSignIns
from .store import Conflict, ErasedRows

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

MIGRATIONS: list[str] = [
    _SCHEMA_1,
    _SCHEMA_2,
    _SCHEMA_3,
    _SCHEMA_4,
    _SCHEMA_ADMINISTRATION,
    _SCHEMA_RETENTION,
]
"""SQL scripts in order; the database's `user_version` is how many of them it has had.

Append only: a released script is never edited, since databases in the field already ran it.
A script runs inside a transaction with foreign keys enforced, so a table rebuild must keep
the references valid at every statement.
"""

_Value = str | int | float | None
"""What a column holds: enums go in as their values, booleans as 0/1."""


class SqliteStore:
    """The `store.Repository` kept in one SQLite database."""

    def __init__(self, path: str | Path) -> None:
        in_memory = str(path) == ":memory:"
        if not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: the sqlite3 module opens no transactions behind our back;
        # `_transaction` says exactly where each one begins and ends.
        self._db = sqlite3.connect(path, isolation_level=None)
        try:
            self._db.row_factory = sqlite3.Row
            # Per connection and off by default; a no-op inside a transaction, so set first.
            self._db.execute("PRAGMA foreign_keys = ON")
            if not in_memory:
                # Readers (a report, a backup) do not block the writer, nor it them.
                self._db.execute("PRAGMA journal_mode = WAL")
                # In WAL mode NORMAL syncs at checkpoints, not at every commit: a chat line
                # or an attendance stay costs no fsync on the event loop. A power cut may
                # lose the last commits, never corrupt the file.
                self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate(str(path))
        except BaseException:
            self._db.close()
            raise
        self.sign_ins = SqliteSignIns(self._db, self._transaction)

    def close(self) -> None:
        self._db.close()  # closing a closed sqlite3 connection is a no-op

    # schools

    def add_school(self, school: School) -> None:
        with self._transaction(), _conflicts({"schools.id": f"school id {school.id!r} is taken"}):
            self._db.execute(
                "INSERT INTO schools (id, name, parents_see_recordings, recordings_kept_days)"
                " VALUES (:id, :name, :parents_see_recordings, :recordings_kept_days)",
                _school_values(school),
            )

    def update_school(self, school: School) -> None:
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE schools SET name = :name, parents_see_recordings ="
                " :parents_see_recordings, recordings_kept_days = :recordings_kept_days"
                " WHERE id = :id",
                _school_values(school),
            )
            _found(cursor, "school", school.id)

    def school(self, school_id: str) -> School | None:
        row = self._db.execute("SELECT * FROM schools WHERE id = ?", (school_id,)).fetchone()
        return None if row is None else _school(row)

    def schools(self) -> list[School]:
        return [_school(row) for row in self._db.execute("SELECT * FROM schools ORDER BY seq")]

    # people

    def add_user(self, user: User) -> None:
        with self._transaction():
            self._insert_user(user)

    def update_user(self, user: User) -> None:
        with self._transaction():
            self._update_user(user)

    def user(self, user_id: str) -> User | None:
        return self._one_user("id", user_id)

    def user_by_login(self, login: str) -> User | None:
        return self._one_user("login", login)

    def users(self, school_id: str) -> list[User]:
        with self._transaction("BEGIN"):  # one snapshot for the rows and their children
            rows = self._db.execute(
                "SELECT * FROM users WHERE school_id = ? ORDER BY seq", (school_id,)
            ).fetchall()
            children = _grouped(
                self._db.execute(
                    "SELECT parent_id, child_id FROM parent_children WHERE parent_id IN"
                    " (SELECT id FROM users WHERE school_id = ?) ORDER BY seq",
                    (school_id,),
                )
            )
        return [_user(row, children.get(row["id"], [])) for row in rows]

    # running a school: its founding, password links, class lists

    def found_school(self, school: School, admin: User, link: PasswordLink | None) -> None:
        """The school, its first admin and their password link, as one transaction: a taken
        login leaves no school without an admin behind."""
        with self._transaction():
            with _conflicts({"schools.id": f"school id {school.id!r} is taken"}):
                self._db.execute(
                    "INSERT INTO schools (id, name, parents_see_recordings)"
                    " VALUES (:id, :name, :parents_see_recordings)",
                    _school_values(school),
                )
            self._insert_user(admin)
            if link is not None:
                sqlite_password_links.put(self._db, link)

    def put_password_link(self, link: PasswordLink) -> None:
        """Store `link`, voiding the person's older one."""
        with self._transaction():
            sqlite_password_links.put(self._db, link)

    def password_link(self, secret_hash: str) -> PasswordLink | None:
        return sqlite_password_links.find(self._db, secret_hash)

    def use_password_link(self, link: PasswordLink, user: User) -> None:
        """Delete the link and save the account (its new password) as one transaction;
        KeyError, and nothing written, when the link is gone (used or replaced meanwhile)."""
        with self._transaction():
            if not sqlite_password_links.take(self._db, link.secret_hash):
                raise KeyError(f"no password link for {link.user_id!r}")
            self._update_user(user)

    def import_people(
        self, people: list[User], school_class: SchoolClass, links: list[PasswordLink]
    ) -> None:
        """New accounts (pupils before the parents naming them), the class with its new
        pupils, and each account's password link, as one transaction: all or nothing."""
        with self._transaction():
            for user in people:
                self._insert_user(user)
            self._update_class(school_class)
            for link in links:
                sqlite_password_links.put(self._db, link)

    # classes

    def add_class(self, school_class: SchoolClass) -> None:
        with self._transaction():
            with _conflicts({"classes.id": f"class id {school_class.id!r} is taken"}):
                self._db.execute(
                    "INSERT INTO classes (id, school_id, name) VALUES (:id, :school_id, :name)",
                    _class_values(school_class),
                )
            self._write_members(school_class)

    def update_class(self, school_class: SchoolClass) -> None:
        with self._transaction():
            self._update_class(school_class)

    def school_class(self, class_id: str) -> SchoolClass | None:
        with self._transaction("BEGIN"):
            row = self._db.execute("SELECT * FROM classes WHERE id = ?", (class_id,)).fetchone()
            if row is None:
                return None
            teachers = self._column(
                "SELECT user_id FROM class_teachers WHERE class_id = ? ORDER BY seq", class_id
            )
            pupils = self._column(
                "SELECT user_id FROM class_pupils WHERE class_id = ? ORDER BY seq", class_id
            )
        return _school_class(row, teachers, pupils)

    def classes(self, school_id: str) -> list[SchoolClass]:
        with self._transaction("BEGIN"):
            rows = self._db.execute(
                "SELECT * FROM classes WHERE school_id = ? ORDER BY seq", (school_id,)
            ).fetchall()
            members = {
                table: _grouped(
                    self._db.execute(
                        f"SELECT class_id, user_id FROM {table} WHERE class_id IN"
                        " (SELECT id FROM classes WHERE school_id = ?) ORDER BY seq",
                        (school_id,),
                    )
                )
                for table in ("class_teachers", "class_pupils")
            }
        return [
            _school_class(
                row,
                members["class_teachers"].get(row["id"], []),
                members["class_pupils"].get(row["id"], []),
            )
            for row in rows
        ]

    # invites

    def add_invite(self, invite: Invite) -> None:
        with self._transaction(), _conflicts({"invites.id": f"invite id {invite.id!r} is taken"}):
            self._db.execute(
                "INSERT INTO invites (id, school_id, class_id, role, created_by, created_at,"
                " expires_at, max_uses, uses, revoked, child_id) VALUES (:id, :school_id,"
                " :class_id, :role, :created_by, :created_at, :expires_at, :max_uses, :uses,"
                " :revoked, :child_id)",
                _invite_values(invite),
            )

    def update_invite(self, invite: Invite) -> None:
        with self._transaction():
            self._update_invite(invite)

    def invite(self, invite_id: str) -> Invite | None:
        row = self._db.execute("SELECT * FROM invites WHERE id = ?", (invite_id,)).fetchone()
        return None if row is None else _invite(row)

    def invites(self, class_id: str) -> list[Invite]:
        rows = self._db.execute(
            "SELECT * FROM invites WHERE class_id = ? ORDER BY created_at, seq", (class_id,)
        )
        return [_invite(row) for row in rows]

    def redeem_invite(self, invite: Invite, user: User, school_class: SchoolClass) -> None:
        """`add_user`, `update_class` and `update_invite` as one transaction: a taken login
        raises Conflict and leaves the invite's uses, the class and the accounts as they were."""
        with self._transaction():
            # The account first: the class's new pupil must exist before the class names it.
            self._insert_user(user)
            self._update_class(school_class)
            self._update_invite(invite)

    def accept_invite(self, invite: Invite, user: User, school_class: SchoolClass) -> None:
        """An existing account uses an invite: its children, the class and the invite's uses
        as one transaction."""
        with self._transaction():
            self._write_children(user)
            self._update_class(school_class)
            self._update_invite(invite)

    # sessions

    def add_session(self, session: Session) -> None:
        with (
            self._transaction(),
            _conflicts(
                {
                    "sessions.id": f"session id {session.id!r} is taken",
                    "sessions.link": "another session has this link",
                }
            ),
        ):
            self._db.execute(
                "INSERT INTO sessions (id, school_id, kind, title, created_by, created_at,"
                " class_id, guest_id, scheduled_at, state, started_at, ended_at, performers,"
                " link, hls_only) VALUES (:id, :school_id, :kind, :title, :created_by,"
                " :created_at, :class_id, :guest_id, :scheduled_at, :state, :started_at,"
                " :ended_at, :performers, :link, :hls_only)",
                _session_values(session),
            )

    def update_session(self, session: Session) -> None:
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE sessions SET school_id = :school_id, kind = :kind, title = :title,"
                " created_by = :created_by, created_at = :created_at, class_id = :class_id,"
                " guest_id = :guest_id, scheduled_at = :scheduled_at, state = :state,"
                " started_at = :started_at, ended_at = :ended_at, performers = :performers,"
                " link = :link, hls_only = :hls_only WHERE id = :id",
                _session_values(session),
            )
            _found(cursor, "session", session.id)

    def session(self, session_id: str) -> Session | None:
        row = self._db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else _session(row)

    def session_by_link(self, link: str) -> Session | None:
        row = self._db.execute("SELECT * FROM sessions WHERE link = ?", (link,)).fetchone()
        return None if row is None else _session(row)

    def sessions(self, school_id: str) -> list[Session]:
        rows = self._db.execute(
            "SELECT * FROM sessions WHERE school_id = ? ORDER BY seq", (school_id,)
        )
        return [_session(row) for row in rows]

    # attendance

    def add_attendance(self, stay: Attendance) -> int:
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO attendance (session_id, user_id, name, joined_at, left_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (stay.session_id, stay.user_id, stay.name, stay.joined_at, stay.left_at),
            )
        stay_id = cursor.lastrowid
        assert stay_id is not None  # set by every successful INSERT
        return stay_id

    def close_attendance(self, stay_id: int, left_at: float) -> None:
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE attendance SET left_at = ? WHERE id = ?", (left_at, stay_id)
            )
            _found(cursor, "attendance stay", stay_id)

    def attendance(self, session_id: str) -> list[Attendance]:
        rows = self._db.execute(
            "SELECT * FROM attendance WHERE session_id = ? ORDER BY joined_at, id", (session_id,)
        )
        return [_attendance(row) for row in rows]

    # chat

    def add_chat(self, line: ChatLine) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO chat (session_id, user_id, name, text, ts) VALUES (?, ?, ?, ?, ?)",
                (line.session_id, line.user_id, line.name, line.text, line.ts),
            )

    def chat(self, session_id: str, limit: int) -> list[ChatLine]:
        rows = self._db.execute(
            "SELECT * FROM (SELECT * FROM chat WHERE session_id = ? ORDER BY id DESC LIMIT ?)"
            " ORDER BY id",
            (session_id, limit),
        )
        return [
            ChatLine(row["session_id"], row["user_id"], row["name"], row["text"], row["ts"])
            for row in rows
        ]

    # removals

    def add_removal(self, session_id: str, user_id: str) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO removals (session_id, user_id) VALUES (?, ?)",
                (session_id, user_id),
            )

    def is_removed(self, session_id: str, user_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM removals WHERE session_id = ? AND user_id = ?", (session_id, user_id)
        ).fetchone()
        return row is not None

    # erasure

    def erase_user(
        self, user_id: str, reassign_to: str, erased_name: str, erased_id: str
    ) -> ErasedRows:
        with self._transaction():
            return erase_user(self._db, user_id, reassign_to, erased_name, erased_id)

    # internals

    @contextmanager
    def _transaction(self, begin: str = "BEGIN IMMEDIATE") -> Iterator[None]:
        """One transaction around the block: committed if it returns, rolled back if it raises.

        IMMEDIATE takes the write lock up front, so a write never fails half-way for want of
        it; a plain BEGIN is for reads of several statements that must see one snapshot.
        """
        self._db.execute(begin)
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            # SQLite ends the transaction itself on a few errors (a full disk, for one).
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _migrate(self, path: str) -> None:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        known = len(MIGRATIONS)
        if version > known:
            # Written by a newer server: guessing at its tables could only corrupt them.
            raise RuntimeError(
                f"{path}: database schema version {version} is newer than this server"
                f" (knows {known})"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript() commits any open transaction before it starts, so the transaction
            # has to live inside the script. user_version is in the database header, written
            # (or rolled back) with the rest of the transaction.
            try:
                self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;\n"
                )
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _insert_user(self, user: User) -> None:
        clashes = {"users.id": f"user id {user.id!r} is taken"}
        if user.login is not None:
            clashes["users.login"] = f"login {user.login!r} is taken"
        with _conflicts(clashes):
            self._db.execute(
                "INSERT INTO users (id, school_id, role, name, login, password_hash, verified,"
                " disabled) VALUES (:id, :school_id, :role, :name, :login, :password_hash,"
                " :verified, :disabled)",
                _user_values(user),
            )
        self._write_children(user)

    def _update_user(self, user: User) -> None:
        with _conflicts({"users.login": f"login {user.login!r} is taken"}):
            cursor = self._db.execute(
                "UPDATE users SET school_id = :school_id, role = :role, name = :name,"
                " login = :login, password_hash = :password_hash, verified = :verified,"
                " disabled = :disabled WHERE id = :id",
                _user_values(user),
            )
        _found(cursor, "user", user.id)
        self._write_children(user)

    def _write_children(self, user: User) -> None:
        self._db.execute("DELETE FROM parent_children WHERE parent_id = ?", (user.id,))
        for child_id in user.children:
            clash = f"child {child_id!r} is listed twice for parent {user.id!r}"
            with _conflicts({"parent_children.parent_id, parent_children.child_id": clash}):
                self._db.execute(
                    "INSERT INTO parent_children (parent_id, child_id) VALUES (?, ?)",
                    (user.id, child_id),
                )

    def _update_class(self, school_class: SchoolClass) -> None:
        cursor = self._db.execute(
            "UPDATE classes SET school_id = :school_id, name = :name WHERE id = :id",
            _class_values(school_class),
        )
        _found(cursor, "class", school_class.id)
        self._write_members(school_class)

    def _write_members(self, school_class: SchoolClass) -> None:
        """Replace the class's teachers and pupils with the object's lists, in their order."""
        for table, members, what in (
            ("class_teachers", school_class.teachers, "teachers"),
            ("class_pupils", school_class.pupils, "pupils"),
        ):
            self._db.execute(f"DELETE FROM {table} WHERE class_id = ?", (school_class.id,))
            for user_id in members:
                clash = f"user {user_id!r} is listed twice among the {what} of {school_class.id!r}"
                with _conflicts({f"{table}.class_id, {table}.user_id": clash}):
                    self._db.execute(
                        f"INSERT INTO {table} (class_id, user_id) VALUES (?, ?)",
                        (school_class.id, user_id),
                    )

    def _update_invite(self, invite: Invite) -> None:
        cursor = self._db.execute(
            "UPDATE invites SET school_id = :school_id, class_id = :class_id, role = :role,"
            " created_by = :created_by, created_at = :created_at, expires_at = :expires_at,"
            " max_uses = :max_uses, uses = :uses, revoked = :revoked, child_id = :child_id"
            " WHERE id = :id",
            _invite_values(invite),
        )
        _found(cursor, "invite", invite.id)

    def _one_user(self, column: str, value: str) -> User | None:
        with self._transaction("BEGIN"):
            row = self._db.execute(f"SELECT * FROM users WHERE {column} = ?", (value,)).fetchone()
            if row is None:
                return None
            children = self._column(
                "SELECT child_id FROM parent_children WHERE parent_id = ? ORDER BY seq", row["id"]
            )
        return _user(row, children)

    def _column(self, sql: str, key: str) -> list[str]:
        return [row[0] for row in self._db.execute(sql, (key,))]


@contextmanager
def _conflicts(clashes: Mapping[str, str]) -> Iterator[None]:
    """Turn a UNIQUE violation of one of `clashes` ("table.column" as SQLite names it in its
    message) into Conflict with the matching text; any other integrity error (a missing
    school, say) is a caller's bug and propagates as it is."""
    try:
        yield
    except sqlite3.IntegrityError as error:
        prefix = "UNIQUE constraint failed: "
        message = str(error)
        clash = clashes.get(message[len(prefix) :]) if message.startswith(prefix) else None
        if clash is None:
            raise
        raise Conflict(clash) from error


def _found(cursor: sqlite3.Cursor, what: str, key: str | int) -> None:
    """An update of a row that does not exist is a caller's bug, not a silent no-op."""
    if cursor.rowcount == 0:
        raise KeyError(f"no {what} {key!r}")


def _grouped(rows: Iterable[sqlite3.Row]) -> dict[str, list[str]]:
    """(key, value) rows, in order, as lists of values by key."""
    groups: dict[str, list[str]] = {}
    for key, value in rows:
        groups.setdefault(key, []).append(value)
    return groups


# model → row


def _school_values(school: School) -> dict[str, _Value]:
    return {
        "id": school.id,
        "name": school.name,
        "parents_see_recordings": int(school.parents_see_recordings),
        "recordings_kept_days": school.recordings_kept_days,
    }


def _user_values(user: User) -> dict[str, _Value]:
    return {
        "id": user.id,
        "school_id": user.school_id,
        "role": user.role.value,
        "name": user.name,
        "login": user.login,
        "password_hash": user.password_hash,
        "verified": int(user.verified),
        "disabled": int(user.disabled),
    }


def _class_values(school_class: SchoolClass) -> dict[str, _Value]:
    return {"id": school_class.id, "school_id": school_class.school_id, "name": school_class.name}


def _invite_values(invite: Invite) -> dict[str, _Value]:
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
        "revoked": int(invite.revoked),
        "child_id": invite.child_id,
    }


def _session_values(session: Session) -> dict[str, _Value]:
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
        "hls_only": int(session.hls_only),
    }


# row → model: fresh objects every time, so a caller's edits never reach the store unsaved


def _school(row: sqlite3.Row) -> School:
    return School(
        id=row["id"],
        name=row["name"],
        parents_see_recordings=bool(row["parents_see_recordings"]),
        recordings_kept_days=row["recordings_kept_days"],
    )


def _user(row: sqlite3.Row, children: list[str]) -> User:
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


def _school_class(row: sqlite3.Row, teachers: list[str], pupils: list[str]) -> SchoolClass:
    return SchoolClass(
        id=row["id"], school_id=row["school_id"], name=row["name"], teachers=teachers, pupils=pupils
    )


def _invite(row: sqlite3.Row) -> Invite:
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


def _session(row: sqlite3.Row) -> Session:
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
        performers=tuple(json.loads(row["performers"])),
        link=row["link"],
        hls_only=bool(row["hls_only"]),
    )


def _attendance(row: sqlite3.Row) -> Attendance:
    return Attendance(
        session_id=row["session_id"],
        user_id=row["user_id"],
        name=row["name"],
        joined_at=row["joined_at"],
        left_at=row["left_at"],
    )
