"""What a live room shows on its stage besides people: one material, at the page and zoom its
host chose. Everyone's page follows them; a late joiner or a reconnecting page is given the
same in `joined`. Pure state and rules, like `moderation`; signalling tells the room.
"""

from __future__ import annotations

from dataclasses import dataclass

from .materials import Material

MIN_ZOOM = 0.5
MAX_ZOOM = 4.0
"""How far a host may zoom the page shown (1: the page as wide as the stage allows)."""


class ShowingError(ValueError):
    """A page the material does not have, or a zoom past the limits; the message says."""


def file_url(material_id: str) -> str:
    """Where a page downloads the material's PDF (signaling/material_routes.py)."""
    return f"/api/materials/{material_id}/file"


@dataclass
class Showing:
    material: Material
    page: int = 1
    zoom: float = 1.0

    def turn(self, page: int) -> None:
        if not 1 <= page <= self.material.pages:
            raise ShowingError(
                f"page {page} is not in this material: it has pages 1 to {self.material.pages}"
            )
        self.page = page

    def set_zoom(self, zoom: float) -> None:
        if not MIN_ZOOM <= zoom <= MAX_ZOOM:
            raise ShowingError(f"zoom must be from {MIN_ZOOM:g} to {MAX_ZOOM:g}")
        self.zoom = round(float(zoom), 3)

    def to_dict(self) -> dict[str, object]:
        """As the room's `material` message and `joined` carry it (docs/protocol.md)."""
        return {
            "id": self.material.id,
            "title": self.material.title,
            "pages": self.material.pages,
            "page": self.page,
            "zoom": self.zoom,
            "url": file_url(self.material.id),
        }
