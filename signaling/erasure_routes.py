"""`POST /api/users/{id}/erase`: a person's data removed on request, by an admin of the school.

The order matters: every refusal first (nothing written), the recordings looked through
(one still being written that holds the person refuses the erasure: stop it first), then the
database in one transaction (`classroom.erasure`), then the person's live connections closed
(their sign-ins are gone), and last their recorded media (`recording.forget`), whose
composed MP4s are composed again without them.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiohttp import web

from classroom import errors
from classroom.erasure import ERASED_ID, ERASED_NAME, Erasure
from classroom.errors import ClassroomError
from classroom.models import Session, SessionKind, SessionState
from recording.forget import Forgotten, Mention, forget, mentions
from recording.sidecar import session_folder

from .account_routes import signed_out
from .api_plumbing import BODY, BROADCASTS, COMPOSITIONS, RECORDINGS, USER, Operation
from .body import obj, string

logger = logging.getLogger(__name__)

ERASURE = web.AppKey("erasure", Erasure)


async def erase_user(request: web.Request) -> dict[str, Any]:
    erasure, me = request.app[ERASURE], request[USER]
    user_id, confirm = request.match_info["user_id"], request[BODY]["confirm"]
    person, sessions = await erasure.check(me, user_id, confirm)
    root = request.app[RECORDINGS]
    found = await asyncio.to_thread(_mentions, root, sessions, person.id)
    if any(m.in_progress for m in found):
        raise ClassroomError(
            errors.RECORDING_IN_PROGRESS,
            "a recording with this person is still being made: stop it, then erase",
        )
    erased = await erasure.erase(me, user_id, confirm)
    # Their sign-ins are deleted: tokens fail from now on, and connections close now.
    await signed_out(request, person.id, erased.rows.sign_ins)

    compositions = request.app[COMPOSITIONS]
    forgotten: list[Forgotten] = []
    for mention in found:
        await compositions.cancel(mention.directory)
        try:
            forgotten.append(
                await asyncio.to_thread(forget, mention, person.id, ERASED_NAME, ERASED_ID)
            )
        except OSError as error:
            logger.error("erasure: %s could not be cleaned: %r", mention.directory, error)
    for done in forgotten:
        if not done.deleted:
            compositions.submit(done.directory)  # composed again, without them
    broadcasts = await _forget_broadcasts(request, erased.sessions, person.id)
    rows = asdict(erased.rows)
    summary = {
        "erased": person.id,
        **{k: v for k, v in rows.items() if k != "sign_ins"},
        "sign_ins": len(erased.rows.sign_ins),
        "recordings": len(forgotten),
        "recordings_deleted": sum(f.deleted for f in forgotten),
        "files": sum(f.files for f in forgotten),
        "broadcasts": broadcasts,
    }
    logger.info("erasure: account %s of school %s erased: %s", person.id, me.school_id, summary)
    return summary


def _mentions(root: Path, sessions: list[Session], identity: str) -> list[Mention]:
    return [m for s in sessions for m in mentions(session_folder(root, s.id), identity)]


async def _forget_broadcasts(request: web.Request, sessions: list[Session], identity: str) -> int:
    """An ended event the person performed at or hosted: its HLS shows them, and goes."""
    hls = request.app[BROADCASTS]
    count = 0
    for session in sessions:
        if (
            session.kind is SessionKind.EVENT
            and session.state is SessionState.ENDED
            and (identity in session.performers or session.created_by == identity)
            and not hls.live(session.id)
            and await asyncio.to_thread(hls.directory(session.id).is_dir)
        ):
            await asyncio.to_thread(shutil.rmtree, hls.directory(session.id))
            count += 1
    return count


ERASURE_OPERATIONS = [
    Operation(
        "POST",
        "/api/users/{user_id}/erase",
        erase_user,
        "Erase a person's account and data on request (admins of the school; not oneself,"
        " not the last admin). `confirm` is the person's name. Answers what was removed",
        body=obj(["confirm"], confirm=string(100, 1)),
        tags=["people"],
    ),
]
