"""Records looked up within the asker's school: another school's class, person or session
is "not found", never "forbidden" (a closed space does not confirm what it holds)."""

from __future__ import annotations

from .errors import NotFound
from .models import SchoolClass, Session, User
from .store import Repository


async def class_of_school(store: Repository, by: User, class_id: str) -> SchoolClass:
    school_class = await store.school_class(class_id) if class_id else None
    if school_class is None or school_class.school_id != by.school_id:
        raise NotFound("this class")
    return school_class


async def person_of_school(store: Repository, by: User, user_id: str) -> User:
    user = await store.user(user_id) if user_id else None
    if user is None or user.school_id != by.school_id:
        raise NotFound("this person")
    return user


async def session_of_school(store: Repository, by: User, session_id: str) -> Session:
    session = await store.session(session_id) if session_id else None
    if session is None or session.school_id != by.school_id:
        raise NotFound("this session")
    return session
