"""Which videos a lesson page asks for: the web client's rule, for bots that receive like it.

The page (``web_client/tiles.js`` ``ParticipantGrid._paginate``, ``gallery.js`` ``pageOf`` and
``perPage``, ``seen.js``) shows one page of the remote cameras at a time and receives only
those videos, and everyone's sound (``set_subscriptions`` with ``identities: null`` and
``video``, docs/protocol.md):

- the remote cameras are ordered teachers first, then everyone else in the order the page
  learned of them (the ``joined`` message's ``participants``, then ``participant_joined``);
  the pinned person, then a speaker brought in from off the page, go to the front;
- a page holds ``PageSize.cameras`` of them (4 on a phone, 9 on a computer: the teacher's
  tile is one of them), ``PageSize.strip`` when one tile takes the stage (a pinned person or a
  shared screen, in the grid view);
- when every camera fits on one page the page asks for every video (``video: null``);
  otherwise for the people on the page and anyone sharing a screen, by identity, sorted;
- someone off the page who becomes the active speaker is brought onto the first page (and
  stays until another off-page speaker takes that place); someone on the page does not move;
- the page asks 250 ms after what it shows last changed (``SETTLE_S``), and only when that
  differs from what it last asked for; after a (re)join it asks once whatever it shows.

A bot stays on the first page and in the grid view (the page's default). No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass

SETTLE_S = 0.25
"""seen.js's SETTLE_MS: quick changes are asked for once, where they stopped."""


@dataclass(frozen=True)
class PageSize:
    """How many remote cameras a page shows (``gallery.js`` ``perPage``)."""

    cameras: int
    """In the grid: PER_PAGE_PHONE / PER_PAGE_WIDE."""
    strip: int
    """Beside a stage (a pinned person, a shared screen): STRIP_PHONE / STRIP_WIDE."""


PHONE = PageSize(cameras=4, strip=3)
"""A phone (≤ 760 px wide): the teacher and 3 classmates, or 3 beside a stage."""
COMPUTER = PageSize(cameras=9, strip=5)


@dataclass
class _Tile:
    key: str
    identity: str
    teacher: bool
    joined: int
    screen: bool = False


class Gallery:
    """One page's view of the room: whose cameras are on its first page.

    Keys are whatever names a participant to the caller (our server's participant ids, a
    Janus feed id); ``video()`` answers with identities, as ``set_subscriptions`` wants.
    The mutators return whether the page's cameras changed (the page's 'visiblechange').
    """

    def __init__(self, size: PageSize = PHONE) -> None:
        self.size = size
        self.pinned: str | None = None
        self.brought_in: str | None = None
        """The last speaker who was off the page, brought onto the first."""
        self._tiles: dict[str, _Tile] = {}
        self._made = 0
        self._shown: list[str] | None = None

    def __contains__(self, key: object) -> bool:
        return key in self._tiles

    def add(
        self,
        key: str,
        identity: str,
        role: str | None,
        *,
        screen: bool = False,
        order: int | None = None,
    ) -> bool:
        """A remote participant the page learned of (a tile is made once, in that order;
        ``order`` overrides the learning order, e.g. the order people joined a Janus room)."""
        tile = self._tiles.get(key)
        if tile is None:
            joined = self._made if order is None else order
            self._made += 1
            self._tiles[key] = _Tile(key, identity, role == "teacher", joined, screen)
        else:
            tile.identity = identity
            tile.screen = screen
        return self._layout()

    def remove(self, key: str) -> bool:
        if self._tiles.pop(key, None) is None:
            return False
        return self._layout()

    def set_screen(self, key: str, sharing: bool) -> bool:
        """Whether ``key`` shares a screen now: its video is asked for whatever the page (so
        a change counts even when the page's cameras stay), and a screen takes the stage."""
        tile = self._tiles.get(key)
        if tile is None or tile.screen == sharing:
            return False
        tile.screen = sharing
        self._layout()
        return True

    def set_pinned(self, key: str | None) -> bool:
        self.pinned = key
        return self._layout()

    def set_speaker(self, key: str | None) -> bool:
        """The room's active speaker: brought onto the first page if off it."""
        if key is None or key not in self._tiles or self._shown is None or key in self._shown:
            return False
        self.brought_in = key
        return self._layout()

    def keys(self) -> list[str]:
        """Every remote participant the page has a tile for (its learning order)."""
        return [t.key for t in sorted(self._tiles.values(), key=lambda t: t.joined)]

    def staged(self) -> bool:
        """Whether a tile takes the stage (the others in a strip): ``_staged``."""
        return self._staged()

    def shown(self) -> list[str] | None:
        """The keys on the page, or None when every remote camera is (no pager)."""
        return None if self._shown is None else list(self._shown)

    def video(self) -> list[str] | None:
        """What the page asks for as ``video``: identities, sorted; None for everyone's."""
        if self._shown is None:
            return None
        wanted = set(self._shown) | {t.key for t in self._tiles.values() if t.screen}
        return sorted(self._tiles[key].identity for key in wanted)

    def _staged(self) -> bool:
        """A tile takes the stage (grid view): the pinned person, else a shared screen."""
        return self.pinned in self._tiles or any(t.screen for t in self._tiles.values())

    def _layout(self) -> bool:
        ordered = sorted(self._tiles.values(), key=lambda t: (0 if t.teacher else 1, t.joined))
        keys = [t.key for t in ordered]
        leading = [k for k in (self.pinned, self.brought_in) if k is not None and k in keys]
        leading = list(dict.fromkeys(leading))
        keys = leading + [k for k in keys if k not in leading]
        size = self.size.strip if self._staged() else self.size.cameras
        shown = None if len(keys) <= size else keys[:size]
        changed = shown != self._shown
        self._shown = shown
        return changed
