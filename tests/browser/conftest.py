"""Fixtures for browser tests: the real server as a subprocess, and Debian's Chromium."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bench.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.school_site import Demo, Pages, demo_accounts
from tests.netns import Forwarders, Namespace, namespace
from tests.server_process import running_server

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LINK = re.compile(r"(Teacher|Pupil) link:\s*(\S+)")


@dataclass
class Server:
    """A running `python -m signaling` and the demo links it printed."""

    base_url: str
    teacher_link: str
    pupil_links: list[str]
    output: list[str] = field(default_factory=list)
    """Everything the server printed so far (kept for failure messages)."""

    def log_tail(self, lines: int = 60) -> str:
        return "".join(self.output[-lines:])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("server-data")) as running:
        teacher, pupils = running.wait_for(_links, "lesson links")
        yield Server(running.base_url, teacher, pupils, running.output)


def _links(output: list[str]) -> tuple[str, list[str]] | None:
    teacher: str | None = None
    pupils: list[str] = []
    for line in output:
        match = LINK.search(line)
        if match and match.group(1) == "Teacher":
            teacher = teacher or match.group(2)
        elif match:
            pupils.append(match.group(2))
    return (teacher, pupils) if teacher and len(pupils) >= 2 else None


# Module scope, not session: while the sync API runs, the main thread has a running event loop,
# and pytest-asyncio tests collected after this module could not start theirs.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright gives every launch a fresh temporary profile (--user-data-dir) and removes it.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@contextmanager
def server_for_namespace(
    data_dir: Path, link: Namespace, **settings: str
) -> Iterator[tuple[Server, Forwarders]]:
    """A server whose pages are on 127.0.0.1 in both this host and `link`'s namespace (a secure
    context, so the camera works) and whose media goes over the link (its one ICE address,
    unless `settings` say otherwise)."""
    with running_server(data_dir, **{"ICE_ADDRESSES": link.host_address, **settings}) as running:
        teacher, pupils = running.wait_for(_links, "lesson links")
        with link.forward(int(running.base_url.rsplit(":", 1)[1])) as forwarders:
            yield Server(running.base_url, teacher, pupils, running.output), forwarders


@contextmanager
def browser_in_namespace(browser: Any, link: Namespace, directory: Path) -> Iterator[Any]:
    """A second Chromium, inside `link`'s namespace, started by the same Playwright."""
    wrapper = link.wrapper(directory, CHROMIUM)
    chromium = browser.browser_type.launch(
        executable_path=str(wrapper), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="module")
def link() -> Iterator[Namespace]:
    """A network namespace of the module's own, joined to this host by one link (a module
    that shapes the link overrides this fixture)."""
    with namespace() as ns:
        yield ns


@pytest.fixture(scope="module")
def far_browser(
    browser: Any, tmp_path_factory: pytest.TempPathFactory, link: Namespace
) -> Iterator[Any]:
    """Chromium inside `link`'s namespace: a pupil whose network the test controls."""
    with browser_in_namespace(browser, link, tmp_path_factory.mktemp("netns")) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A server with the demo school (DEMO_SCHOOL=1), its SFU in-process, for one module."""
    data = tmp_path_factory.mktemp("school-data")
    with running_server(data, DEMO_SCHOOL="1", SFU_WORKERS="0") as running:
        accounts = running.wait_for(demo_accounts, "demo accounts")
        yield Demo(running.base_url, accounts, data, running.output)


@pytest.fixture
def pages(browser: Any, demo: Demo) -> Iterator[Pages]:
    opened = Pages(browser, demo)
    try:
        yield opened
    finally:
        opened.close()
        # Captured, so pytest shows it only next to a failure.
        print("--- server ---\n" + "".join(demo.output[-40:]))
    assert not opened.errors, f"uncaught errors on the pages: {opened.errors}"
