"""Reading a class list as schools write it: Excel's `;` and BOM, quotes, Cyrillic, blank
lines, Russian headers, and every problem a row can have on its own, by row and column."""

from __future__ import annotations

import pytest

from classroom.class_list import MAX_BYTES, MAX_ROWS, Listed, Problem, login_from_name, read
from classroom.errors import ClassroomError
from classroom.roles import Role
from classroom.service import LOGIN

RULE = LOGIN.pattern


def test_russian_excel_csv_with_a_bom_and_semicolons_reads_as_written() -> None:
    text = (
        "\ufeffФИО;Логин;Роль;Родитель для\r\n"
        "Иванов Пётр;petya;ученик;\r\n"
        "Иванова Мария;;родитель;petya\r\n"
    )
    listed = read(text, RULE)
    assert listed.problems == []
    assert listed.people == [
        Listed(2, "Иванов Пётр", "petya", Role.PUPIL, None),
        Listed(3, "Иванова Мария", None, Role.PARENT, "petya"),
    ]


def test_commas_quotes_and_blank_lines_keep_their_row_numbers() -> None:
    text = (
        "name,login,role,parent-of\n"
        "\n"
        '"Smith, John",,pupil,\n'
        '"Анна ""Аня"" Котова",Anna.K,,\n'
        "   \n"
        "Ли Ян,,,\n"
    )
    listed = read(text, RULE)
    names = [(p.row, p.name, p.login) for p in listed.people]
    assert names == [
        (3, "Smith, John", None),
        (4, 'Анна "Аня" Котова', "anna.k"),
        (6, "Ли Ян", None),
    ]
    # A comma and quotes are no letters of a name: the row says so, at its own line.
    assert listed.problems == [
        Problem(3, "name", "bad_name", "a name is letters, spaces, hyphens, apostrophes and dots"),
        Problem(4, "name", "bad_name", "a name is letters, spaces, hyphens, apostrophes and dots"),
    ]


def test_a_quoted_field_may_hold_a_line_break_and_the_next_row_keeps_its_line() -> None:
    listed = read('name;login\n"Иванов\nПётр";petya\nКотова Аня;anya\n', RULE)
    assert [(p.row, p.name) for p in listed.people] == [(2, "Иванов Пётр"), (4, "Котова Аня")]
    assert listed.problems == []


def test_the_role_defaults_to_pupil_and_a_named_child_makes_a_parent() -> None:
    listed = read("name,parent of\nПетя Иванов,\nМама Иванова,Петя Иванов\n", RULE)
    assert [(p.role, p.parent_of) for p in listed.people] == [
        (Role.PUPIL, None),
        (Role.PARENT, "Петя Иванов"),
    ]


def test_every_row_problem_is_named_by_row_and_column() -> None:
    long_name = "Я" * 101
    text = "\n".join(
        [
            "name;login;role;parent-of",
            ";nobody;;",  # 2
            f"{long_name};;;",  # 3
            "12345;;;",  # 4
            "Петя;Петя!;;",  # 5
            "Петя;" + "p" * 65 + ";;",  # 6
            "Петя;petya;учитель;",  # 7
            "Мама;;parent;",  # 8
            "Петя;;pupil;mama",  # 9
            "Вася;petya;;",  # 10 (petya: row 7, whose role is wrong but login fine)
            "Коля;kolya;;;лишнее",  # 11
        ]
    )
    listed = read(text, RULE)
    assert [(p.row, p.field, p.code) for p in listed.problems] == [
        (2, "name", "required"),
        (3, "name", "too_long"),
        (4, "name", "bad_name"),
        (5, "login", "bad_login"),
        (6, "login", "too_long"),
        (7, "role", "bad_role"),
        (8, "parent_of", "child_needed"),
        (9, "parent_of", "not_a_parent"),
        (10, "login", "duplicate_login"),
        (11, None, "too_many_cells"),
    ]
    assert listed.problems[8].message == "login 'petya' is also in row 7"
    assert listed.problems[5].message == "unknown role 'учитель': pupil or parent"
    assert len(listed.people) == 10  # rows with problems are still listed, for the preview


def test_a_header_with_an_unknown_or_missing_column_is_refused() -> None:
    listed = read("имя;класс\nПетя;5А\n", RULE)
    assert [(p.row, p.field, p.code) for p in listed.problems] == [(1, None, "unknown_column")]
    assert listed.problems[0].message == (
        "unknown column 'класс': use name, login, role and parent-of"
    )
    listed = read("login;role\npetya;pupil\n", RULE)
    assert [(p.row, p.field, p.code) for p in listed.problems] == [(1, "name", "no_name_column")]
    assert listed.people == []
    listed = read("name;Name\nПетя;Петя\n", RULE)
    assert [(p.row, p.code) for p in listed.problems] == [(1, "duplicate_column")]


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n  \n"])
def test_an_empty_list_says_so(text: str) -> None:
    assert read(text, RULE).problems == [Problem(1, None, "no_rows", "the list is empty")]


def test_a_header_alone_has_no_rows() -> None:
    listed = read("name;login\n\n", RULE)
    assert [(p.row, p.code) for p in listed.problems] == [(1, "no_rows")]


def test_too_many_rows_are_refused_before_anything_is_read() -> None:
    rows = "".join(f"Ученик {chr(0x430 + i % 32)};\n" for i in range(MAX_ROWS + 1))
    with pytest.raises(ClassroomError) as refused:
        read("name;login\n" + rows, RULE)
    assert (refused.value.code, refused.value.field, refused.value.message) == (
        "import_too_large",
        "csv",
        f"the list has {MAX_ROWS + 1} rows; at most {MAX_ROWS} at once: split it",
    )
    assert len(read("name;login\n" + rows.split("\n", 1)[1], RULE).people) == MAX_ROWS


def test_too_many_bytes_are_refused_counting_utf8() -> None:
    # Cyrillic is two bytes a letter: under the limit in characters, over it in bytes.
    text = "name\n" + "Я" * (MAX_BYTES // 2)
    assert len(text) < MAX_BYTES
    with pytest.raises(ClassroomError) as refused:
        read(text, RULE)
    assert refused.value.code == "import_too_large"
    assert refused.value.message.endswith(f"at most {MAX_BYTES} at once: split it")


@pytest.mark.parametrize(
    ("name", "login"),
    [
        ("Иванов Пётр", "ivanov.petr"),
        ("Щукина Юлия-Мария", "shchukina.yuliya.mariya"),
        ("Хабибуллин Ринат", "khabibullin.rinat"),
        ("Подъячев Илья", "podyachev.ilya"),
        ("Zoë O’Brien", "zoe.obrien"),
        ("Ян", "yan"),
        ("李雷", ""),
    ],
)
def test_a_login_is_made_from_a_name(name: str, login: str) -> None:
    assert login_from_name(name) == login
