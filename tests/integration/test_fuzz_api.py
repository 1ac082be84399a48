"""The REST API fuzzed by schemathesis from its own document, /api/openapi.json, against a real
server on 127.0.0.1: signed in as a school's admin, and signed out. No answer is a server
error; each answer's status and content type are ones the document declares, and an error's
body has the documented shape."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from classroom.models import SessionKind
from classroom.roles import Role
from classroom.service import Classroom
from signaling import api

from .threaded_server import ErrorRecords, ThreadedServer, error_records, threaded_server

EXAMPLES = 15
"""Valid cases, and as many invalid ones, per operation and caller; the document has ~40
operations."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ADMIN_PASSWORD = "admin-password-1"


@dataclass
class FuzzedApi:
    running: ThreadedServer
    admin_token: str
    known: dict[str, list[str]]
    """Ids that exist, by path parameter: a case uses one of them as often as a random one."""
    logged: ErrorRecords
    calls: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.running.url

    def count(self, who: str, status: int) -> None:
        self.calls[who] += 1
        self.statuses.setdefault(who, Counter())[status] += 1


async def _school(classroom: Classroom) -> dict[str, list[str]]:
    """A school with a teacher, a class, its invite, a lesson and an event: their ids."""
    admin = await classroom.create_school("Школа №5", "Анна Admin", "anna", ADMIN_PASSWORD)
    teacher = await classroom.create_teacher(admin, "Ольга Ивановна", "olga", "teacher-pw-1")
    school_class = await classroom.create_class(admin, "5A")
    await classroom.assign_teacher(admin, school_class.id, teacher.id)
    invite = await classroom.create_invite(admin, school_class.id, Role.PUPIL)
    lesson = await classroom.create_session(
        admin, SessionKind.LESSON, "Дроби", class_id=school_class.id
    )
    event = await classroom.create_session(admin, SessionKind.EVENT, "Концерт")
    return {
        "user_id": [teacher.id, admin.id],
        "class_id": [school_class.id],
        "invite_id": [invite.id],
        "session_id": [lesson.id, event.id],
        "link": [event.link or "no-link"],
    }


@pytest.fixture(scope="module")
def fuzzed_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzedApi]:
    data = tmp_path_factory.mktemp("api")
    with error_records() as logged, threaded_server(data) as running:
        classroom = running.server.app[api.CLASSROOM]
        known = running.looping.run(_school(classroom))
        signed_in = requests.post(
            running.url + "/api/auth/login",
            json={"login": "anna", "password": ADMIN_PASSWORD},
            timeout=10,
        )
        assert signed_in.status_code == 200, signed_in.text
        fuzzed = FuzzedApi(running, signed_in.json()["token"], known, logged)
        yield fuzzed
        print(f"\nREST fuzzing: {dict(fuzzed.calls)} calls; statuses: {fuzzed.statuses}")
    assert logged.described() == []


def api_schema(fuzzed_api: FuzzedApi) -> BaseSchema:
    """The document the server serves, and where its ids come from."""
    config = schemathesis.Config.from_dict(
        {"base-url": fuzzed_api.url, "generation": {"deterministic": True}}
    )
    schema = schemathesis.openapi.from_url(fuzzed_api.url + "/api/openapi.json", config=config)
    # The timetable's event stream never ends by itself (a keep-alive every 15 s): a client
    # reading it whole waits forever. Its answers are tested in test_schedule_api.py.
    schema = schema.exclude(path="/api/sessions/events")

    @schema.hook
    def flatmap_path_parameters(
        context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
    ) -> st.SearchStrategy[dict[str, Any] | None]:
        # Random ids name nothing: as often, ids of what exists.
        if not isinstance(path_parameters, dict):
            return st.just(path_parameters)
        real = {
            name: st.sampled_from(fuzzed_api.known[name])
            for name in path_parameters
            if name in fuzzed_api.known
        }
        if not real:
            return st.just(path_parameters)
        existing = st.fixed_dictionaries(real).map(lambda ids: {**path_parameters, **ids})
        return st.just(path_parameters) | existing

    return schema


def fuzz(schema: BaseSchema, call: Callable[[Case], None]) -> list[str]:
    """`call` on EXAMPLES valid and EXAMPLES invalid cases of every operation; what failed."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                # A failure is reported as found (with its curl command), not shrunk: every
                # step is a request.
                phases=[Phase.explicit, Phase.generate],
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def each(case: Case) -> None:
                call(case)

            try:
                each()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label
                continue  # nothing in it can be invalid (a path of strings, no body)
            except Exception as failure:  # every operation is fuzzed, then all failures told
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    return failures


def test_no_call_of_an_admin_is_a_server_error(fuzzed_api: FuzzedApi) -> None:
    headers = {"Authorization": f"Bearer {fuzzed_api.admin_token}"}

    def call(case: Case) -> None:
        # Over whatever the case holds (an invalid case may leave the header out).
        case.headers = {**(case.headers or {}), **headers}
        response = case.call(timeout=20)
        fuzzed_api.count("admin", response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)

    failures = fuzz(api_schema(fuzzed_api), call)
    assert failures == [], "\n\n".join(failures)


def test_no_call_signed_out_is_a_server_error(fuzzed_api: FuzzedApi) -> None:
    def call(case: Case) -> None:
        case.headers = {k: v for k, v in (case.headers or {}).items() if k != "Authorization"}
        response = case.call(timeout=20)
        fuzzed_api.count("signed out", response.status_code)
        case.validate_response(response, checks=CHECKS)
        if case.operation.definition.raw.get("security") != []:  # not public: sign in first
            assert response.status_code == 401, response.text

    failures = fuzz(api_schema(fuzzed_api), call)
    assert failures == [], "\n\n".join(failures)
