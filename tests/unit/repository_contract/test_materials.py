"""Materials (issue 18): a row reads back equal, a class lists its own newest first (its
lessons' too, never another class's), an id is taken once, a delete says whether there was a
row, and erasing the person who uploaded hands their materials to the admin."""

from __future__ import annotations

from dataclasses import replace

import pytest

from classroom.erasure import ERASED_ID, ERASED_NAME
from classroom.materials import Material
from classroom.models import SchoolClass, User
from classroom.roles import Role
from classroom.store import Conflict
from tests.unit.repository_contract.records import Store, lesson, with_class


def material(material_id: str, class_id: str = "c1", **changes: object) -> Material:
    base = Material(
        id=material_id,
        school_id="s1",
        class_id=class_id,
        session_id=None,
        title="Дроби — урок 1.pdf",
        pages=12,
        size=3_456_789_012,  # past 32 bits: a size is never cut short
        uploaded_by="t1",
        created_at=1700000000.25,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def _two_classes(store: Store) -> None:
    await with_class(store, "p1")
    await store.add_class(SchoolClass(id="c2", school_id="s1", name="6A", teachers=["t1"]))
    await store.add_session(lesson("l1", class_id="c1"))


async def test_a_material_reads_back_equal(store: Store) -> None:
    await _two_classes(store)
    kept = material("m1", session_id="l1")
    await store.materials.add(kept)
    assert await store.materials.get("m1") == kept
    assert await store.materials.get("nope") is None


async def test_a_class_lists_its_own_materials_newest_first(store: Store) -> None:
    await _two_classes(store)
    await store.materials.add(material("m1"))
    await store.materials.add(material("m2", class_id="c2"))
    await store.materials.add(material("m3", session_id="l1", created_at=5.0))
    await store.materials.add(material("m4"))
    assert [m.id for m in await store.materials.of_class("c1")] == ["m4", "m3", "m1"]
    assert [m.id for m in await store.materials.of_class("c2")] == ["m2"]
    assert await store.materials.of_class("nope") == []


async def test_an_id_is_taken_once_and_the_first_row_stays(store: Store) -> None:
    await _two_classes(store)
    await store.materials.add(material("m1"))
    with pytest.raises(Conflict):
        await store.materials.add(material("m1", title="other.pdf"))
    assert await store.materials.get("m1") == material("m1")


async def test_a_delete_says_whether_there_was_a_row(store: Store) -> None:
    await _two_classes(store)
    await store.materials.add(material("m1"))
    await store.materials.add(material("m2"))
    assert await store.materials.delete("m1") is True
    assert await store.materials.delete("m1") is False
    assert [m.id for m in await store.materials.of_class("c1")] == ["m2"]


async def test_erasing_the_uploader_hands_their_materials_to_the_admin(store: Store) -> None:
    await _two_classes(store)
    await store.add_user(User("a1", "s1", Role.ADMIN, "Анна", login="anna", verified=True))
    await store.materials.add(material("m1"))
    await store.materials.add(material("m2", uploaded_by="a1"))
    rows = await store.erase_user("t1", "a1", ERASED_NAME, ERASED_ID)
    assert rows.materials_reassigned == 1
    assert [(m.id, m.uploaded_by) for m in await store.materials.of_class("c1")] == [
        ("m2", "a1"),
        ("m1", "a1"),
    ]
