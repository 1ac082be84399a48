"""The JSON the REST API shows a person, a class, an invite link, a session and a school
in: one shape each, whichever operation answers with it."""

from __future__ import annotations

from typing import Any

from classroom.models import Invite, School, SchoolClass, Session, User
from classroom.roles import Role


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "role": user.role.value,
        "verified": user.verified,
        "login": user.login,
        "children": user.children,
        "active": not user.disabled,
    }


def class_view(school_class: SchoolClass, people: dict[str, User] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": school_class.id,
        "name": school_class.name,
        "teachers": school_class.teachers,
        "pupils": school_class.pupils,
    }
    if people is not None:
        listed = school_class.teachers + school_class.pupils
        parents = [u.id for u in people.values() if u.role is Role.PARENT]
        view["members"] = [
            {
                "id": uid,
                "name": people[uid].name,
                "role": people[uid].role.value,
                **({"children": people[uid].children} if uid in parents else {}),
            }
            for uid in listed + [p for p in parents if p not in listed]
            if uid in people
        ]
    return view


def invite_view(invite: Invite, base_url: str) -> dict[str, Any]:
    return {
        "id": invite.id,
        "class_id": invite.class_id,
        "role": invite.role.value,
        "expires_at": invite.expires_at,
        "max_uses": invite.max_uses,
        "uses": invite.uses,
        "revoked": invite.revoked,
        "child_id": invite.child_id,
        "url": f"{base_url}/join/{invite.id}",
    }


def session_view(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "kind": session.kind.value,
        "title": session.title,
        "class_id": session.class_id,
        "guest_id": session.guest_id,
        "created_by": session.created_by,
        "scheduled_at": session.scheduled_at,
        "state": session.state.value,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "performers": list(session.performers),
        "hls_only": session.hls_only,
        "duration_minutes": session.duration_minutes,
        "cancelled": session.cancelled,
    }


def school_view(school: School) -> dict[str, Any]:
    return {
        "id": school.id,
        "name": school.name,
        "parents_see_recordings": school.parents_see_recordings,
        "recordings_kept_days": school.recordings_kept_days,
        "time_zone": school.time_zone,
    }
