"""Server configuration: defaults in code, overridden by environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .turn import TurnConfig


@dataclass
class Config:
    host: str = "127.0.0.1"
    """Address the HTTP server listens on."""
    port: int = 8080
    ice_addresses: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    """Host ICE candidates the SFU offers (like mediasoup's announcedAddress)."""
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    """HS256 key for access tokens; random per start unless configured."""
    data_dir: Path = Path("data")
    database: str = ""
    """The school database (SQLite); empty: `classroom.sqlite3` in the data directory.
    ":memory:" keeps it in memory (tests)."""
    public_url: str = ""
    """Base URL printed in links; defaults to http://host:port."""
    token_ttl: int = 8 * 3600
    """Lifetime of demo links' tokens, seconds."""
    max_participants: int = 100
    max_audience: int = 2000
    """An event's watchers taken over WebRTC (MAX_AUDIENCE); past it they get its HLS. The
    broadcast bench says how many this machine carries."""
    sfu_workers: int = 0
    """SFU processes, each with its own event loop; 0 runs the SFU in this process. From the
    environment the default is one per core this process may use."""
    web_root: Path = Path(__file__).resolve().parent.parent / "web_client"
    turn: TurnConfig | None = None
    """coturn beside the server (TURN_SECRET, TURN_URLS, TURN_TTL); None: no TURN."""
    ice_transport_policy: str = "all"
    """"relay" makes every browser send media only through TURN (ICE_TRANSPORT_POLICY)."""
    resume_grace: float = 30.0
    """Seconds a participant whose connection dropped keeps their place (RESUME_GRACE)."""
    compose_workers: int = 1
    """Recordings composed into one MP4 at once, each in a child process (COMPOSE_WORKERS);
    0: none is (the per-participant WebM files are still made)."""
    operator_token: str = ""
    """The district operator's token for /api/operator/… (OPERATOR_TOKEN); empty: those
    endpoints are off."""

    @property
    def database_path(self) -> str:
        return self.database or str(self.data_dir / "classroom.sqlite3")

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ) if env is None else env
        config = cls()
        config.host = env.get("HOST", config.host)
        config.port = int(env.get("PORT", config.port))
        if env.get("ICE_ADDRESSES"):
            config.ice_addresses = [a.strip() for a in env["ICE_ADDRESSES"].split(",") if a]
        config.secret = env.get("SECRET") or config.secret
        config.data_dir = Path(env.get("DATA_DIR", str(config.data_dir)))
        config.database = env.get("DATABASE", config.database)
        config.public_url = env.get("PUBLIC_URL", config.public_url)
        config.token_ttl = int(env.get("TOKEN_TTL", config.token_ttl))
        config.max_audience = int(env.get("MAX_AUDIENCE", config.max_audience))
        # The cores this process may run on (taskset / cgroup pins), not the machine's count.
        config.sfu_workers = int(env.get("SFU_WORKERS", len(os.sched_getaffinity(0))))
        if env.get("TURN_SECRET"):
            config.turn = TurnConfig(
                secret=env["TURN_SECRET"],
                urls=[u.strip() for u in env.get("TURN_URLS", "").split(",") if u.strip()],
                ttl=int(env.get("TURN_TTL", 12 * 3600)),
            )
        config.resume_grace = float(env.get("RESUME_GRACE", config.resume_grace))
        config.compose_workers = int(env.get("COMPOSE_WORKERS", config.compose_workers))
        config.operator_token = env.get("OPERATOR_TOKEN", "").strip()
        config.ice_transport_policy = env.get("ICE_TRANSPORT_POLICY", "all")
        if config.ice_transport_policy not in ("all", "relay"):
            raise ValueError("ICE_TRANSPORT_POLICY must be 'all' or 'relay'")
        if config.ice_transport_policy == "relay" and config.turn is None:
            raise ValueError("ICE_TRANSPORT_POLICY=relay needs TURN_SECRET and TURN_URLS")
        return config
