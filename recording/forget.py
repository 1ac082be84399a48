"""Taking one person out of a recording on disk (their data erased on request).

A recording names people in three places: its tracks (`recording.json`, by the participant
id of each connection, with a file per track and a remuxed `<participant>.webm`/`.mp4`),
the composed MP4 (everyone on one picture) and the timeline (joins, chat, hands, each with a
name). The timeline's join events tie a participant id to the account (`identity`), which is
how the person's connections are found.

Their track files and remuxed files are deleted, the composed MP4 too (it shows them; the
caller composes it again from the tracks that are left), their tracks leave the sidecar, and
every timeline entry naming them is anonymised. A recording left without any track holds
nothing to watch and is deleted whole. Blocking: call from a thread.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .compose import OUTPUT
from .composition import STATUS
from .remux import SUFFIXES
from .sidecar import SIDECAR, read_sidecar, write_sidecar
from .timeline import TIMELINE, read_timeline
from .written_aside import written_aside


@dataclass(frozen=True)
class Mention:
    """A recording that names a person."""

    directory: Path
    participants: frozenset[str]
    """The participant ids of the person's connections in it."""
    in_progress: bool
    """Still being written (no `stopped` yet)."""


@dataclass(frozen=True)
class Forgotten:
    directory: Path
    files: int
    """Files deleted (tracks, remuxed files, the composed MP4)."""
    deleted: bool
    """Nothing was left to watch: the whole recording is gone."""


def mentions(folder: Path, identity: str) -> list[Mention]:
    """The recordings under a session's `folder` that name the account `identity`."""
    if not folder.is_dir():
        return []
    found = []
    for directory in sorted(folder.iterdir()):
        content = read_sidecar(directory)
        if content is None:
            continue
        participants = _participants(read_timeline(directory), identity)
        started_by = (content.get("session") or {}).get("started_by")
        if participants or started_by == identity:
            found.append(Mention(directory, participants, content.get("stopped") is None))
    return found


def forget(mention: Mention, identity: str, erased_name: str, erased_id: str) -> Forgotten:
    """Take the person out of a stopped recording (see the module's text)."""
    directory, theirs = mention.directory, mention.participants
    content = read_sidecar(directory) or {}
    tracks = [t for t in content.get("tracks", []) if isinstance(t, dict)]
    kept = [t for t in tracks if str(t.get("participant")) not in theirs]
    # Everyone's picture first: the composed MP4 is the file most widely watched.
    doomed = [directory / OUTPUT, directory / STATUS]
    doomed += [directory / str(t.get("file")) for t in tracks if t not in kept]
    doomed += [directory / f"{p}{suffix}" for p in theirs for suffix in SUFFIXES]
    if not kept:
        files = sum(1 for path in doomed if path.is_file() and path.name != STATUS)
        shutil.rmtree(directory)
        return Forgotten(directory, files, deleted=True)
    files = 0
    for path in doomed:
        if path.name in (SIDECAR, TIMELINE) or path.parent != directory:
            continue  # a sidecar naming these (or "../x") as a track's file is not to obey
        if path.is_file():
            path.unlink()
            files += path.name != STATUS
    session = content.get("session")
    if isinstance(session, dict) and session.get("started_by") == identity:
        session = {**session, "started_by": erased_id}
    write_sidecar(directory, {**content, "session": session, "tracks": kept})
    _anonymise_timeline(directory, identity, theirs, erased_name, erased_id)
    return Forgotten(directory, files, deleted=False)


def _participants(events: list[dict[str, Any]], identity: str) -> frozenset[str]:
    """The participant ids the timeline's join events give the account `identity`."""
    found = set()
    for event in events:
        if event.get("type") == "present":
            people = event.get("participants") or []
        elif event.get("type") == "participant_joined":
            people = [event.get("participant")]
        else:
            continue
        for person in people:
            if isinstance(person, dict) and person.get("identity") == identity and person.get("id"):
                found.add(str(person["id"]))
    return frozenset(found)


def _anonymise_timeline(
    directory: Path, identity: str, theirs: frozenset[str], name: str, erased_id: str
) -> None:
    path = directory / TIMELINE
    if not path.is_file():
        return
    ids = theirs | {identity}

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            mine = value.get("identity") == identity or value.get("id") in ids
            return {
                key: name
                if mine and key == "name"
                else erased_id
                if mine and key == "identity"
                else scrub(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [scrub(item) for item in value]
        return erased_id if value == identity else value

    lines = []
    for event in read_timeline(directory):
        sender = event.get("from")
        said = event.get("type") == "chat" and isinstance(sender, dict) and sender.get("id") in ids
        event = scrub(event)
        if said:
            event["text"] = name  # their words are theirs too
        lines.append(json.dumps(event, ensure_ascii=False) + "\n")
    with written_aside(path) as temporary:
        temporary.write_text("".join(lines), encoding="utf-8")
