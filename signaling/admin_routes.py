"""The REST API of running a school: the district operator's schools, password links,
deactivating people, taking a pupil out of a class, and importing a class list.

The operator's endpoints take the static `OPERATOR_TOKEN` (never a person's token) and are
off, answering operator_disabled, when none is configured. A password link opens the
`/reset/<secret>` page, which reads and uses it without signing in: the link is the secret.
"""

from __future__ import annotations

import hmac
from typing import Any

from aiohttp import web

from classroom.administration import Administration, ImportRefused, ImportReport, SchoolSummary
from classroom.class_list import MAX_BYTES, MAX_ROWS, Problem
from classroom.errors import ClassroomError
from classroom.password_links import IssuedLink

from .account_routes import signed_out
from .api_plumbing import (
    _STATUS,
    BODY,
    CLASSROOM,
    SETTINGS,
    SIGN_INS,
    UNAUTHORIZED,
    USER,
    Operation,
)
from .api_views import class_view, school_view, user_view
from .body import obj, string

ADMINISTRATION = web.AppKey("administration", Administration)
OPERATOR_TOKEN: web.AppKey[str] = web.AppKey("operator_token", str)
"""The district operator's static token (OPERATOR_TOKEN); empty: the operator's API is off."""

OPERATOR_DISABLED = "operator_disabled"


def _link(request: web.Request, issued: IssuedLink) -> dict[str, Any]:
    base = request.app[SETTINGS].base_url
    return {"url": f"{base}/reset/{issued.secret}", "expires_at": issued.link.expires_at}


# --- the district operator ---------------------------------------------------------------


def require_operator(request: web.Request) -> None:
    """Refuses anyone without the operator's token."""
    expected = request.app.get(OPERATOR_TOKEN, "")
    if not expected:
        raise ClassroomError(
            OPERATOR_DISABLED, "the operator's API is off: the server has no OPERATOR_TOKEN"
        )
    header = request.headers.get("Authorization", "")
    given = header[7:].strip() if header.startswith("Bearer ") else ""
    # Constant time: how much of a guess matched must not show in how long the answer takes.
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ClassroomError(
            UNAUTHORIZED, "this needs the operator's token (Authorization: Bearer <token>)"
        )


def summary_view(summary: SchoolSummary) -> dict[str, Any]:
    return {
        **school_view(summary.school),
        "people": summary.people,
        "deactivated": summary.deactivated,
        "classes": summary.classes,
    }


async def list_schools(request: web.Request) -> dict[str, Any]:
    require_operator(request)
    return {"schools": [summary_view(s) for s in await request.app[ADMINISTRATION].schools()]}


async def create_school(request: web.Request) -> dict[str, Any]:
    require_operator(request)
    body = request[BODY]
    school, admin, issued = await request.app[ADMINISTRATION].found_school(
        body["name"], body["admin_name"], body["admin_login"], body.get("admin_password")
    )
    return {
        "school": school_view(school),
        "admin": user_view(admin),
        "password_link": _link(request, issued) if issued else None,
    }


# --- people ------------------------------------------------------------------------------


async def password_link(request: web.Request) -> dict[str, Any]:
    issued = await request.app[ADMINISTRATION].password_link(
        request[USER], request.match_info["user_id"]
    )
    return {"user_id": issued.link.user_id, **_link(request, issued)}


async def deactivate(request: web.Request) -> dict[str, Any]:
    person = await request.app[ADMINISTRATION].set_active(
        request[USER], request.match_info["user_id"], False
    )
    await _sign_out_everywhere(request, person.id)
    return user_view(person)


async def reactivate(request: web.Request) -> dict[str, Any]:
    person = await request.app[ADMINISTRATION].set_active(
        request[USER], request.match_info["user_id"], True
    )
    return user_view(person)


async def open_password_link(request: web.Request) -> dict[str, Any]:
    user, school, link = await request.app[ADMINISTRATION].open_password_link(
        request.match_info["link"]
    )
    return {
        "name": user.name,
        "login": user.login,
        "school": school.name,
        "expires_at": link.expires_at,
        "first": user.password_hash is None,
    }


async def use_password_link(request: web.Request) -> dict[str, Any]:
    user = await request.app[ADMINISTRATION].set_password(
        request.match_info["link"], request[BODY]["password"]
    )
    # Whoever knew the old password (or held a sign-in made with it) is out; the page signs
    # in with the new password itself, the way every sign-in happens.
    await _sign_out_everywhere(request, user.id)
    return {"login": user.login, "name": user.name}


async def _sign_out_everywhere(request: web.Request, user_id: str) -> None:
    """Every sign-in of the account ends now, and the room connections its tokens opened."""
    await signed_out(request, user_id, await request.app[SIGN_INS].sign_out_everywhere(user_id))


# --- classes -----------------------------------------------------------------------------


async def remove_pupil(request: web.Request) -> dict[str, Any]:
    school_class = await request.app[ADMINISTRATION].remove_pupil(
        request[USER], request.match_info["class_id"], request.match_info["user_id"]
    )
    return class_view(school_class)


def _problem(problem: Problem, with_row: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "field": problem.field,
        "code": problem.code,
        "message": problem.message,
    }
    return {"row": problem.row, **view} if with_row else view


def report_view(request: web.Request, report: ImportReport) -> dict[str, Any]:
    rows = {r.login: r.row for r in report.rows}
    return {
        "valid": report.valid,
        "rows": [
            {
                "row": r.row,
                "name": r.name,
                "login": r.login,
                "login_made": r.login_made,
                "role": r.role.value,
                "parent_of": r.parent_of,
                "problems": [_problem(p) for p in r.problems],
            }
            for r in report.rows
        ],
        "problems": [_problem(p, with_row=True) for p in report.problems],
        "accounts": [
            {"row": rows.get(user.login), **user_view(user), **_link(request, issued)}
            for user, issued in report.accounts
        ],
    }


async def import_class_list(request: web.Request) -> web.Response:
    body = request[BODY]
    try:
        report = await request.app[ADMINISTRATION].import_class_list(
            request[USER],
            request.match_info["class_id"],
            body["csv"],
            commit=not body.get("dry_run", False),
        )
    except ImportRefused as refused:
        # The refusal carries the preview, so the page shows what to fix where.
        error = {"code": refused.code, "message": refused.message, "field": refused.field}
        return web.json_response(
            {"error": error, "report": report_view(request, refused.report)},
            status=_STATUS[refused.code],
        )
    view = report_view(request, report)
    if not body.get("dry_run", False):
        school_class = await request.app[CLASSROOM].school_class(
            request[USER], request.match_info["class_id"]
        )
        view["class"] = class_view(school_class)
    return web.json_response(view)


_LOGIN = string(64, 3, pattern="^[a-z0-9][a-z0-9._-]{2,63}$")

ADMIN_OPERATIONS = [
    Operation(
        "GET",
        "/api/operator/schools",
        list_schools,
        "Every school with its active people by role, deactivated accounts and classes"
        " (the district operator: Authorization: Bearer <OPERATOR_TOKEN>)",
        public=True,
        tags=["operator"],
        guessable=True,
    ),
    Operation(
        "POST",
        "/api/operator/schools",
        create_school,
        "Create a school and its first admin, who gets a one-time password link unless"
        " admin_password is given (the district operator's token)",
        body=obj(
            ["name", "admin_name", "admin_login"],
            name=string(100, 1),
            admin_name=string(100, 1),
            admin_login=_LOGIN,
            admin_password=string(1024, 8),
        ),
        public=True,
        tags=["operator"],
        guessable=True,
    ),
    Operation(
        "POST",
        "/api/users/{user_id}/password-link",
        password_link,
        "A one-time link (a day) where the person sets a new password; it voids their older"
        " link (admins for anyone; teachers for the pupils and parents of their classes)",
        tags=["people"],
    ),
    Operation(
        "POST",
        "/api/users/{user_id}/deactivate",
        deactivate,
        "Deactivate an account: no sign-in, its tokens stop working at once (admins; not"
        " themselves, not the last active admin)",
        tags=["people"],
    ),
    Operation(
        "POST",
        "/api/users/{user_id}/reactivate",
        reactivate,
        "Reactivate a deactivated account (admins)",
        tags=["people"],
    ),
    Operation(
        "GET",
        "/api/password-links/{link}",
        open_password_link,
        "Whose password a link sets (no sign-in: the link is the secret)",
        public=True,
        tags=["people"],
        guessable=True,
    ),
    Operation(
        "POST",
        "/api/password-links/{link}",
        use_password_link,
        "Set the password with a one-time link (it is used up); then sign in with it",
        body=obj(["password"], password=string(1024, 8)),
        public=True,
        tags=["people"],
        guessable=True,
    ),
    Operation(
        "DELETE",
        "/api/classes/{class_id}/pupils/{user_id}",
        remove_pupil,
        "Take a pupil out of the class, not out of the school; their parents stay linked"
        " (the class's teachers, admins)",
        tags=["classes"],
    ),
    Operation(
        "POST",
        "/api/classes/{class_id}/import",
        import_class_list,
        "Import pupils and parents from CSV (columns name, login, role, parent-of; ';' or ','"
        f"; at most {MAX_ROWS} rows and {MAX_BYTES} bytes): dry_run previews each row's"
        " problems; otherwise every row is imported or, with any problem, none"
        " (import_invalid, with the preview as `report`). Each new account comes with a"
        " one-time password link (a week). The class's teachers, admins.",
        body=obj(
            ["csv"],
            # No maxLength: the limit is in bytes, checked by the domain (import_too_large).
            csv={"type": "string", "description": "the CSV text, UTF-8, BOM allowed"},
            dry_run={"type": "boolean"},
        ),
        tags=["classes"],
    ),
]
