"""The OpenAPI 3.1 document of the REST API, written from the same table that routes it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api_plumbing import Operation

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable, for programs"},
                "message": {"type": "string", "description": "for people"},
            },
        }
    },
}

_ERRORS = {
    "400": "invalid_input, bad_json or import_invalid: the field and the rule are named;"
    " a session's title_required, title_too_long, time_malformed, time_in_past or"
    " duration_invalid (the field named too)",
    "401": "unauthorized (no or expired token) or bad_credentials",
    "403": "forbidden (your role may not do this here) or account_disabled",
    "404": "not_found (another school's records are not found either) or operator_disabled",
    "409": "conflict (a login taken), session_ended, session_not_scheduled (moving or"
    " cancelling one that started), cannot_deactivate_self or last_admin",
    "410": "invite_expired, invite_revoked, invite_used_up or link_expired",
    "413": "import_too_large: a class list past its rows or bytes",
}

_UPLOAD_ERRORS = {
    "413": "file_too_large: past the server's limit (MATERIALS_MAX_MB)",
    "415": "not_a_pdf, or conversion_unavailable (a document, and no LibreOffice here)",
    "422": "pdf_damaged, pdf_encrypted, pdf_empty, pdf_too_slow or conversion_failed",
}
"""An upload's refusals (a material): nothing of the file is kept."""

_UPLOAD = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "a PDF, or a .docx/.odt/.pptx/.odp where the server has LibreOffice",
        }
    },
}

_LIMITED = {
    "429": "too_many_attempts: too many failures from this address (or for this account);"
    " the Retry-After header says in how many seconds to try again",
}


def document(operations: list[Operation]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        entry: dict[str, Any] = {
            "summary": op.summary,
            "operationId": op.handler.__name__,
            "tags": op.tags,
            "responses": {
                "200": {"description": "done", "content": {op.produces: {}}},
                **{
                    status: {
                        "description": text,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    }
                    for status, text in (
                        (_ERRORS | _LIMITED if op.guessable or op.limited else _ERRORS)
                        | (_UPLOAD_ERRORS if op.upload else {})
                    ).items()
                },
            },
        }
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", op.path)
        ]
        if parameters:
            entry["parameters"] = parameters
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op.body}},
            }
        if op.upload:
            entry["requestBody"] = {
                "required": True,
                "content": {"multipart/form-data": {"schema": _UPLOAD}},
            }
        if op.public:
            entry["security"] = []
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Classroom video server API",
            "version": "1",
            "description": (
                "Schools, classes, people, invite links, sessions and attendance. "
                "Sign in with POST /api/auth/login (or redeem an invite link) and send the "
                "token as `Authorization: Bearer <token>` (browsers get it as an HttpOnly "
                "cookie instead)."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{"bearer": []}],
    }
