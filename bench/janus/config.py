"""A private configuration folder for one bench Janus: HTTP transport and VideoRoom only.

Debian's /etc/janus loads every plugin and transport and listens on public ports; the bench
gives each Janus process its own folder instead, with plugin and transport folders that hold
symlinks to just ``libjanus_videoroom.so`` and ``libjanus_http.so``, so nothing else is ever
loaded (nothing else listening, nothing else costing CPU).
"""

from dataclasses import dataclass
from pathlib import Path

# Where Debian's package puts the modules (``dpkg -L janus``); other layouts for a local build.
LIBRARY_DIRS = (
    Path("/usr/lib/x86_64-linux-gnu/janus"),
    Path("/usr/lib/aarch64-linux-gnu/janus"),
    Path("/usr/lib/janus"),
    Path("/opt/janus/lib/janus"),
)
VIDEOROOM = "libjanus_videoroom.so"
HTTP_TRANSPORT = "libjanus_http.so"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class JanusConfig:
    """A written configuration folder and the addresses it gives Janus."""

    folder: Path
    http_port: int
    rtp_ports: tuple[int, int]

    @property
    def main_file(self) -> Path:
        return self.folder / "janus.jcfg"

    @property
    def url(self) -> str:
        """The Janus API root (``POST`` creates sessions, ``GET`` answers ``info``)."""
        return f"http://{LOOPBACK}:{self.http_port}/janus"


def library_dir() -> Path:
    """The installed Janus module folder (with ``plugins/`` and ``transports/``)."""
    for candidate in LIBRARY_DIRS:
        if (candidate / "plugins" / VIDEOROOM).exists():
            return candidate
    raise FileNotFoundError("Janus modules not found: install Debian's janus (`make janus`)")


def write_config(
    folder: Path,
    *,
    http_port: int,
    rtp_ports: tuple[int, int] = (20000, 40000),
    debug_level: int = 2,
    event_loops: int = 1,
    modules: Path | None = None,
) -> JanusConfig:
    """Write janus.jcfg, the HTTP transport's and the VideoRoom's files into ``folder``.

    ``event_loops = 1`` puts every handle on one loop thread (Janus's default is a thread per
    handle), which is its cheapest mode when pinned to one core next to our single-loop server.
    """
    modules = modules or library_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for kind, name in (("plugins", VIDEOROOM), ("transports", HTTP_TRANSPORT)):
        linked = folder / kind
        linked.mkdir(exist_ok=True)
        link = linked / name
        if not link.exists():
            link.symlink_to(modules / kind / name)
    # Empty folders: no event handlers, no external loggers.
    for kind in ("events", "loggers"):
        (folder / kind).mkdir(exist_ok=True)
    (folder / "janus.jcfg").write_text(
        _main(folder, debug_level=debug_level, event_loops=event_loops, rtp_ports=rtp_ports)
    )
    (folder / "janus.transport.http.jcfg").write_text(_http(http_port))
    # No static rooms: the target creates them through the API, with bench-sized limits.
    (folder / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
    return JanusConfig(folder=folder, http_port=http_port, rtp_ports=rtp_ports)


def _main(folder: Path, *, debug_level: int, event_loops: int, rtp_ports: tuple[int, int]) -> str:
    return f"""general: {{
	configs_folder = "{folder}"
	plugins_folder = "{folder / "plugins"}"
	transports_folder = "{folder / "transports"}"
	events_folder = "{folder / "events"}"
	loggers_folder = "{folder / "loggers"}"
	debug_level = {debug_level}
	debug_timestamps = true
	debug_colors = false
	interface = "{LOOPBACK}"
	server_name = "bench"
	session_timeout = 60
	event_loops = {event_loops}
	hide_dependencies = true
	exit_on_dl_error = true
}}
certificates: {{
}}
media: {{
	ipv6 = false
	rtp_port_range = "{rtp_ports[0]}-{rtp_ports[1]}"
}}
nat: {{
	nice_debug = false
	full_trickle = false
	ice_lite = false
	ice_tcp = false
	ignore_mdns = true
	ice_enforce_list = "lo"
}}
plugins: {{
}}
transports: {{
}}
loggers: {{
}}
events: {{
	broadcast = false
}}
"""


def _http(port: int) -> str:
    return f"""general: {{
	events = false
	json = "compact"
	base_path = "/janus"
	http = true
	port = {port}
	ip = "{LOOPBACK}"
	https = false
}}
admin: {{
	admin_http = false
	admin_https = false
}}
cors: {{
}}
"""
