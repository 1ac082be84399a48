"""The district operator's view of the nodes: who is alive, what each holds, and draining a
node for maintenance (its lessons go on; new ones start elsewhere). Only in a district
(REDIS_URL); the operator's token as for the schools."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from classroom.errors import ClassroomError
from district.directory import Directory, Node

from .admin_routes import require_operator
from .api_plumbing import BODY, Operation
from .body import obj

DIRECTORY: web.AppKey[Directory] = web.AppKey("directory", Directory)
"""The district's directory of nodes and rooms (absent: one server, not a district)."""
NOT_A_DISTRICT = "not_a_district"
NO_SUCH_NODE = "no_such_node"


def _directory(request: web.Request) -> Directory:
    require_operator(request)
    directory = request.app.get(DIRECTORY)
    if directory is None:
        raise ClassroomError(NOT_A_DISTRICT, "this server is not a node of a district (REDIS_URL)")
    return directory


def node_view(node: Node) -> dict[str, Any]:
    return {
        "id": node.id,
        "url": node.url,
        "capacity": node.capacity,
        "draining": node.draining,
        # Whose media it carries: its rooms' people here, and other nodes' audience piped here.
        "people": sum(node.rooms.values()) + node.guests,
        "rooms": node.rooms,
        "guests": node.guests,
    }


async def list_nodes(request: web.Request) -> dict[str, Any]:
    return {"nodes": [node_view(n) for n in await _directory(request).nodes()]}


async def drain_node(request: web.Request) -> dict[str, Any]:
    directory = _directory(request)
    node = request.match_info["node_id"]
    if not await directory.drain(node, bool(request[BODY]["draining"])):
        raise ClassroomError(NO_SUCH_NODE, f"no live node {node!r} in the district")
    for found in await directory.nodes():
        if found.id == node:
            return node_view(found)
    # It died between the two calls.
    raise ClassroomError(NO_SUCH_NODE, f"no live node {node!r} in the district")


DISTRICT_OPERATIONS = [
    Operation(
        "GET",
        "/api/operator/nodes",
        list_nodes,
        "The district's live nodes: capacity, draining, and the people in each room they hold"
        " (the district operator's token; 404 not_a_district on a single server)",
        public=True,
        tags=["operator"],
        guessable=True,
    ),
    Operation(
        "POST",
        "/api/operator/nodes/{node_id}/drain",
        drain_node,
        "Drain a node for maintenance (draining: true): its rooms go on, new rooms start on"
        " the others; false takes rooms again (the district operator's token)",
        body=obj(["draining"], draining={"type": "boolean"}),
        public=True,
        tags=["operator"],
        guessable=True,
    ),
]
