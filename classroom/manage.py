"""`python -m classroom.manage`: the operator's commands on a school database.

    create-school   a new school and its first admin, who gets a one-time link to choose a
                    password (or the password from stdin, for scripts)
    list-schools    every school with its people and classes counted
    password-link   a one-time link that sets someone's password (an admin locked out)

The database is `--database` (SQLite), else $DATABASE_URL (a district's PostgreSQL), else
$DATABASE, else $DATA_DIR/classroom.sqlite3 (as the server finds it); links start with
`--public-url`, else $PUBLIC_URL, else http://$HOST:$PORT. The server may be running: the
database serialises the writes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from . import password_links
from .administration import Administration, AdminRepository
from .errors import ClassroomError
from .password_links import IssuedLink
from .postgres_store import PostgresStore
from .sqlite_store import SqliteStore


def database_path(given: str | None, env: Mapping[str, str]) -> str:
    if given:
        return given
    return env.get("DATABASE") or str(Path(env.get("DATA_DIR", "data")) / "classroom.sqlite3")


def public_url(given: str | None, env: Mapping[str, str]) -> str:
    url = given or env.get("PUBLIC_URL", "")
    return url.rstrip("/") or f"http://{env.get('HOST', '127.0.0.1')}:{env.get('PORT', '8080')}"


def link_url(base: str, issued: IssuedLink) -> str:
    """Where a password link opens (the server's /reset/<secret> page)."""
    return f"{base}/reset/{issued.secret}"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m classroom.manage",
        description="Operator's commands on a classroom server's school database.",
    )
    root.add_argument(
        "--database", help="the SQLite file (default: $DATABASE, else $DATA_DIR/classroom.sqlite3)"
    )
    root.add_argument(
        "--public-url",
        help="the server's address for printed links (default:"
        " $PUBLIC_URL, else http://$HOST:$PORT)",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    create = commands.add_parser(
        "create-school",
        help="create a school and its first admin",
        description="Create a school and its first admin. Prints a one-time link (valid"
        f" {password_links.WELCOME_TTL // 86400} days) where the admin chooses a password,"
        " unless --password-stdin gives one.",
    )
    create.add_argument("--name", required=True, help='the school\'s name, e.g. "Школа №5"')
    create.add_argument("--admin-name", required=True, help="the admin's full name")
    create.add_argument("--admin-login", required=True, help="the admin's sign-in login")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the admin's password from the first line of stdin instead of printing a link",
    )

    commands.add_parser("list-schools", help="every school, with its people and classes counted")

    link = commands.add_parser(
        "password-link",
        help="a one-time link that sets someone's password",
        description="Print a one-time link (valid a day) where the person with this login"
        " sets a new password; their older link stops working.",
    )
    link.add_argument("--login", required=True)
    return root


async def run(args: argparse.Namespace, env: Mapping[str, str], stdin: TextIO, out: TextIO) -> None:
    store: AdminRepository  # else mypy joins the two classes into `object`
    if env.get("DATABASE_URL") and not args.database:
        store = await PostgresStore.open(env["DATABASE_URL"])
    else:
        store = await SqliteStore.open(database_path(args.database, env))
    try:
        admin = Administration(store)
        base = public_url(args.public_url, env)
        if args.command == "create-school":
            password = stdin.readline().rstrip("\r\n") if args.password_stdin else None
            school, user, issued = await admin.found_school(
                args.name, args.admin_name, args.admin_login, password
            )
            print(f"Created school {school.name!r} (id {school.id})", file=out)
            print(f"Admin: {user.name} (login {user.login})", file=out)
            if issued is not None:
                print(
                    f"The admin sets a password at (one use, valid"
                    f" {password_links.WELCOME_TTL // 86400} days): {link_url(base, issued)}",
                    file=out,
                )
        elif args.command == "list-schools":
            for summary in await admin.schools():
                counts = ", ".join(f"{role} {n}" for role, n in summary.people.items())
                print(
                    f"{summary.school.id}  {summary.school.name}: {counts}; classes"
                    f" {summary.classes}; deactivated {summary.deactivated}",
                    file=out,
                )
        elif args.command == "password-link":
            user, issued = await admin.operator_password_link(args.login)
            print(
                f"{user.name} sets a new password at (one use, valid"
                f" {password_links.RESET_TTL // 3600} hours): {link_url(base, issued)}",
                file=out,
            )
    finally:
        await store.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        asyncio.run(run(args, os.environ, sys.stdin, sys.stdout))
    except ClassroomError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"error: {exc.code}{where}: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
