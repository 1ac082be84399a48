"""Configuration of the school database: SQLite unless DATABASE_URL names a PostgreSQL one,
which needs SECRET; anything else is refused without echoing the URL (it may hold a
password)."""

import pytest

from signaling.config import Config

URL = "postgresql://classroom:pa55@db.school.example:5432/classroom"


def test_without_database_url_the_database_is_sqlite() -> None:
    config = Config.from_env({"SFU_WORKERS": "0", "DATA_DIR": "/srv/data"})
    assert (config.database_url, config.database_path) == ("", "/srv/data/classroom.sqlite3")


@pytest.mark.parametrize("url", [URL, "postgres://classroom@localhost/classroom"])
def test_a_postgresql_url_is_taken_as_it_is(url: str) -> None:
    config = Config.from_env({"SFU_WORKERS": "0", "DATABASE_URL": f" {url} ", "SECRET": "k"})
    assert config.database_url == url


@pytest.mark.parametrize(
    ("url", "given"),
    [
        ("mysql://root:pa55@db/classroom", "a mysql:// URL"),
        ("sqlite:///srv/data/classroom.sqlite3", "a sqlite:// URL"),
        ("db.school.example:5432", "no URL"),
    ],
)
def test_another_kind_of_url_is_refused_without_repeating_it(url: str, given: str) -> None:
    with pytest.raises(ValueError) as raised:
        Config.from_env({"SFU_WORKERS": "0", "DATABASE_URL": url, "SECRET": "k"})
    assert str(raised.value) == f"DATABASE_URL must be a postgresql:// URL, and it is {given}"


def test_postgresql_needs_a_secret_shared_by_the_servers() -> None:
    with pytest.raises(ValueError) as raised:
        Config.from_env({"SFU_WORKERS": "0", "DATABASE_URL": URL})
    assert str(raised.value) == (
        "DATABASE_URL needs SECRET: the servers sharing it sign with one key"
    )


def test_both_databases_at_once_are_refused() -> None:
    with pytest.raises(ValueError) as raised:
        Config.from_env(
            {"SFU_WORKERS": "0", "DATABASE_URL": URL, "DATABASE": "x.sqlite3", "SECRET": "k"}
        )
    assert str(raised.value) == (
        "DATABASE (SQLite) and DATABASE_URL (PostgreSQL) are both set: set one"
    )
