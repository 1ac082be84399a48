"""Server configuration: defaults in code, overridden by environment variables."""

from __future__ import annotations

import os
import secrets
import ssl
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
    database_url: str = ""
    """The school database in PostgreSQL instead (DATABASE_URL, `postgresql://user:password@
    host:port/name`); empty: SQLite."""
    public_url: str = ""
    """Base URL printed in links; defaults to http://host:port (https:// with TLS_CERT)."""
    tls_cert: Path | None = None
    """PEM certificate (its chain after it) the server speaks HTTPS with (TLS_CERT); None:
    plain HTTP, as behind a reverse proxy that ends TLS."""
    tls_key: Path | None = None
    """PEM private key of `tls_cert` (TLS_KEY), unencrypted; given with it or not at all."""
    trust_proxy: bool = False
    """Believe a reverse proxy's X-Forwarded-Proto and X-Forwarded-For (TRUST_PROXY=1): on
    only when nothing but the proxy can reach the server, or any client could claim HTTPS."""
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
    hostless_end: float = 600.0
    """Seconds a live session goes on with no host in its room before it ends by itself
    (HOSTLESS_MINUTES, in minutes; 0 never ends one)."""
    metrics_token: str = ""
    """Bearer token Prometheus sends for GET /metrics (METRICS_TOKEN); empty: only scrapes
    from this machine that no proxy forwarded are answered."""
    metrics_port: int = 0
    """Serve /metrics on a listener of its own, METRICS_HOST:METRICS_PORT, and not beside the
    pages (0: beside them, guarded as above)."""
    metrics_host: str = "127.0.0.1"
    metrics_detail: bool = False
    """Per-participant series (downlink estimates, layers; labelled with room and participant
    ids) besides the totals (METRICS_DETAIL=1): for diagnosing a lesson, off by default."""
    retention_period: float = 3600.0
    """Seconds between the sweeps that delete recordings past their school's keeping
    (RETENTION_PERIOD); the first runs at start."""
    compose_workers: int = 1
    """Recordings composed into one MP4 at once, each in a child process (COMPOSE_WORKERS);
    0: none is (the per-participant WebM files are still made)."""
    operator_token: str = ""
    """The district operator's token for /api/operator/… (OPERATOR_TOKEN); empty: those
    endpoints are off."""
    redis_url: str = ""
    """A district's Redis (REDIS_URL): this server is one node of many, rooms placed on nodes
    there (district/); empty: one server, every room here."""
    node_id: str = ""
    """This node's name in the district (NODE_ID); unique, stable across restarts."""
    node_url: str = ""
    """Where the other nodes reach this one (NODE_URL): its own address, not the load
    balancer's; defaults to http://host:port."""
    node_capacity: int = 300
    """Participants this node is meant to carry (NODE_CAPACITY): new rooms go to the node
    with the smallest share of its capacity in use."""
    materials_max_mb: int = 50
    """The largest material a teacher may upload (a PDF, or a document to convert), in MB
    (MATERIALS_MAX_MB)."""
    breakout_min_seconds: float = 60.0
    """The shortest breakout (and extension) a host may ask for, seconds
    (BREAKOUT_MIN_SECONDS): the protocol's 60, lowered only by tests that watch a timer
    run out."""

    @property
    def database_path(self) -> str:
        return self.database or str(self.data_dir / "classroom.sqlite3")

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls_cert else "http"
        return self.public_url.rstrip("/") or f"{scheme}://{self.host}:{self.port}"

    def ssl_context(self) -> ssl.SSLContext | None:
        """The server side of TLS 1.2 and newer with `tls_cert` and `tls_key`; None without
        them. Loading again into the same context (`load_certificate`) renews it in place."""
        if self.tls_cert is None or self.tls_key is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.load_certificate(context)
        return context

    def load_certificate(self, context: ssl.SSLContext) -> None:
        """Puts `tls_cert` and `tls_key` into `context`, for the handshakes to come."""
        assert self.tls_cert is not None and self.tls_key is not None
        try:
            context.load_cert_chain(self.tls_cert, self.tls_key)
        except ssl.SSLError as exc:
            if exc.reason == "KEY_VALUES_MISMATCH":
                raise ValueError(
                    f"TLS_KEY {self.tls_key} is not the key of TLS_CERT {self.tls_cert}"
                ) from None
            raise ValueError(
                f"TLS_CERT {self.tls_cert} and TLS_KEY {self.tls_key} do not load: {exc}"
            ) from None

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
        config.database_url = _database_url(env)
        config.public_url = env.get("PUBLIC_URL", config.public_url)
        config.tls_cert, config.tls_key = _tls_files(env.get("TLS_CERT"), env.get("TLS_KEY"))
        config.trust_proxy = _flag(env, "TRUST_PROXY", config.trust_proxy)
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
        config.breakout_min_seconds = float(
            env.get("BREAKOUT_MIN_SECONDS", config.breakout_min_seconds)
        )
        config.compose_workers = int(env.get("COMPOSE_WORKERS", config.compose_workers))
        config.metrics_token = env.get("METRICS_TOKEN", config.metrics_token)
        config.metrics_port = int(env.get("METRICS_PORT", config.metrics_port))
        config.metrics_host = env.get("METRICS_HOST", config.metrics_host)
        config.metrics_detail = _flag(env, "METRICS_DETAIL", config.metrics_detail)
        config.retention_period = float(env.get("RETENTION_PERIOD", config.retention_period))
        if config.retention_period <= 0:
            raise ValueError("RETENTION_PERIOD must be more than 0 seconds")
        if env.get("HOSTLESS_MINUTES"):
            minutes = float(env["HOSTLESS_MINUTES"])
            if minutes < 0:
                raise ValueError("HOSTLESS_MINUTES must be 0 (never) or more")
            config.hostless_end = minutes * 60
        config.operator_token = env.get("OPERATOR_TOKEN", "").strip()
        config.materials_max_mb = int(env.get("MATERIALS_MAX_MB", config.materials_max_mb))
        if config.materials_max_mb <= 0:
            raise ValueError("MATERIALS_MAX_MB must be more than 0")
        _district(config, env)
        config.ice_transport_policy = env.get("ICE_TRANSPORT_POLICY", "all")
        if config.ice_transport_policy not in ("all", "relay"):
            raise ValueError("ICE_TRANSPORT_POLICY must be 'all' or 'relay'")
        if config.ice_transport_policy == "relay" and config.turn is None:
            raise ValueError("ICE_TRANSPORT_POLICY=relay needs TURN_SECRET and TURN_URLS")
        return config


def _district(config: Config, env: dict[str, str]) -> None:
    """REDIS_URL makes this server a node of a district; the rest must then be said."""
    config.redis_url = env.get("REDIS_URL", "").strip()
    if not config.redis_url:
        return
    if not config.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    if not env.get("SECRET"):
        raise ValueError("REDIS_URL needs SECRET: a room link made on one node opens on all")
    config.node_id = env.get("NODE_ID", "").strip()
    if not config.node_id:
        # Not made up from the address: every machine listening on 0.0.0.0:8080 would
        # be one node, holding every room at once.
        raise ValueError("REDIS_URL needs NODE_ID: a name of its own for each node")
    config.node_url = env.get("NODE_URL", "").strip() or f"http://{config.host}:{config.port}"
    if config.host in ("0.0.0.0", "::") and not env.get("NODE_URL"):
        raise ValueError(f"HOST={config.host} needs NODE_URL: the address other nodes reach")
    config.node_capacity = int(env.get("NODE_CAPACITY", config.node_capacity))
    if config.node_capacity <= 0:
        raise ValueError("NODE_CAPACITY must be more than 0 participants")


def _database_url(env: dict[str, str]) -> str:
    """DATABASE_URL: a PostgreSQL URL, or nothing. Never echoed: it may hold a password."""
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        return ""
    scheme = url.partition("://")[0] if "://" in url else ""
    if scheme not in ("postgresql", "postgres"):
        given = f"a {scheme}:// URL" if scheme else "no URL"
        raise ValueError(f"DATABASE_URL must be a postgresql:// URL, and it is {given}")
    if env.get("DATABASE"):
        raise ValueError("DATABASE (SQLite) and DATABASE_URL (PostgreSQL) are both set: set one")
    if not env.get("SECRET"):
        # Servers sharing a database (or one restarted) must accept each other's tokens: a
        # key made at each start would end every sign-in the database still holds alive.
        raise ValueError("DATABASE_URL needs SECRET: the servers sharing it sign with one key")
    return url


def _tls_files(cert: str | None, key: str | None) -> tuple[Path | None, Path | None]:
    """TLS_CERT and TLS_KEY: both or neither, a PEM certificate and an unencrypted PEM key."""
    if not cert and not key:
        return None, None
    if not cert or not key:
        given, missing = ("TLS_CERT", "TLS_KEY") if cert else ("TLS_KEY", "TLS_CERT")
        raise ValueError(f"{given} is set but {missing} is not: HTTPS needs both, or neither")
    cert_pem, key_pem = _read("TLS_CERT", cert), _read("TLS_KEY", key)
    if b"-----BEGIN CERTIFICATE-----" not in cert_pem:
        raise ValueError(f"TLS_CERT {cert} is not a PEM certificate (no BEGIN CERTIFICATE line)")
    if b"PRIVATE KEY-----" not in key_pem:
        raise ValueError(f"TLS_KEY {key} is not a PEM private key (no BEGIN PRIVATE KEY line)")
    if b"ENCRYPTED" in key_pem:  # OpenSSL would ask a terminal for its passphrase
        raise ValueError(f"TLS_KEY {key} is encrypted: the server needs it without a passphrase")
    return Path(cert), Path(key)


def _read(name: str, path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as exc:
        raise ValueError(f"{name} {path} cannot be read: {exc.strerror}") from None


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "")
    if value not in ("", "0", "1"):
        raise ValueError(f"{name} must be 0 or 1, not {value!r}")
    return default if value == "" else value == "1"
