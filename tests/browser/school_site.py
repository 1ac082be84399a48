"""The school site as the browser tests use it: the demo school's server and accounts, pages
opened in fresh browser contexts (their uncaught errors fail the test), signing in, and the
page parts the tests look for."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
ACCOUNT = re.compile(r"^\s+(admin|teacher|pupil|parent)\s+(\S+)\s+/ (\S+)\s+\((.+)\)\s*$")
INVITE_URL = re.compile(r"^http://127\.0\.0\.1:\d+/join/[A-Za-z0-9_-]{16,}$")
WAIT_MS = 15_000


@dataclass
class Account:
    role: str
    login: str
    password: str
    name: str


@dataclass
class Demo:
    """A `python -m signaling` with the demo school, and the accounts it printed."""

    base_url: str
    accounts: dict[str, Account]
    data: Path
    """Its data directory (recordings go under it)."""
    output: list[str] = field(default_factory=list)

    def account(self, role: str) -> Account:
        return next(a for a in self.accounts.values() if a.role == role)


def demo_accounts(output: list[str]) -> dict[str, Account] | None:
    """The accounts printed after "Demo school: sign in at …", once the lesson links (printed
    last) are out."""
    if not any(line.startswith("Teacher link:") for line in output):
        return None
    accounts = {}
    for line in output:
        match = ACCOUNT.match(line)
        if match:
            role, login, password, name = match.groups()
            accounts[login] = Account(role, login, password, name)
    if not accounts:
        raise RuntimeError("the server printed no demo accounts:\n" + "".join(output))
    return accounts


class Pages:
    """Browser contexts opened by one test; uncaught page errors fail it, with the server log."""

    def __init__(self, browser: Any, demo: Demo) -> None:
        self.browser = browser
        self.demo = demo
        self.contexts: list[Any] = []
        self.errors: list[str] = []

    def open(
        self,
        path: str = "/signin",
        locale: str = "ru-RU",
        viewport: dict[str, int] | None = None,
        clipboard: bool = False,
    ) -> Any:
        context = self.browser.new_context(
            viewport=viewport or DESKTOP,
            locale=locale,
            permissions=["clipboard-read", "clipboard-write"] if clipboard else [],
        )
        context.set_default_timeout(WAIT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        # What the Content-Security-Policy refused is a page that does not work as written.
        page.on(
            "console",
            lambda message: (
                self.errors.append(f"{page.url}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto(self.url(path))
        return page

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.demo.base_url + path

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def sign_in(page: Any, account: Account) -> None:
    page.fill("#signin-login", account.login)
    page.fill("#signin-password", account.password)
    page.click("#signin-button")
    page.wait_for_url(re.compile(r"/school(\?|$)"))
    page.locator("#user-name").filter(has_text=account.name).wait_for()


def text(page: Any, selector: str) -> str:
    return str(page.locator(selector).inner_text()).strip()


STATS = "() => window.classroom.stats()"


def poll(check: Any, what: str, within: float = 40.0) -> Any:
    """`check()`'s first truthy value, asking every 0.2 s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def class_card(page: Any, name: str) -> Any:
    card = page.locator(".class-card").filter(
        has=page.locator("h3", has_text=re.compile(f"^{name}$"))
    )
    card.wait_for()
    return card


def without_toasts(page: Any) -> Any:
    """Closes the notices (they cover the content in a screenshot); returns the page."""
    # In the page, in one go: a toast may time out and vanish between two Playwright clicks.
    page.evaluate("() => document.querySelectorAll('.toast-close').forEach((b) => b.click())")
    page.locator(".toast").first.wait_for(state="detached")
    return page


def auth_cookie(page: Any) -> dict[str, Any] | None:
    """The page's sign-in cookie (HttpOnly: the page's scripts cannot see it), or None."""
    cookies = [c for c in page.context.cookies() if c["name"] == "classroom_auth"]
    return cookies[0] if cookies else None


def lesson_url(base_url: str, token: str, **params: str) -> str:
    """A link that carries a room token, as demo and bench links do (the page keeps the token
    in its tab and shows /lesson/<room>)."""
    query = "".join(f"&{k}={v}" for k, v in params.items())
    return f"{base_url}/lesson?token={token}{query}"


LESSON_URL = re.compile(r"/lesson/[^/?]+(\?|$)")
"""A live room's address: the room, no token."""


def api_call(page: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """A REST call with the page's sign-in cookie (for a test's set-up, not its subject)."""
    return page.evaluate(
        """async ([method, path, body]) => {
            const response = await fetch(path, {
                method,
                headers: { 'Content-Type': 'application/json' },
                body: body === null ? undefined : JSON.stringify(body),
            });
            const data = await response.json();
            if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(data)}`);
            return data;
        }""",
        [method, path, body],
    )


def session_row(page: Any, title: str, state: str) -> Any:
    row = page.locator(f".session-row[data-state={state}]").filter(
        has=page.locator(".session-title", has_text=re.compile(f"^{re.escape(title)}$"))
    )
    row.wait_for()
    return row


def fits_width(page: Any, width: int) -> None:
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways: {scroll_width} px > {width} px"
