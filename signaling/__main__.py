"""`python -m signaling`: serve, and print demo lesson links once ready (`make run`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import ssl
import sys

import uvloop
from aiohttp import web

from classroom.roles import Role, default_grants

from . import api, demo
from .app import create_app, metrics_app
from .auth import TokenIssuer
from .config import Config

DEMO_ROOM = "demo-lesson"
DEMO_PUPILS = ("Аня Петрова", "Ваня Смирнов", "Maria Lopez")
SETTINGS = """\
Configuration is by environment variable (README.md, "Quick start" and "HTTPS"):
  PORT, HOST, ICE_ADDRESSES, PUBLIC_URL, SECRET, TOKEN_TTL, DATA_DIR, DATABASE,
  DEMO_SCHOOL, DEMO_PUPILS, SFU_WORKERS, TURN_SECRET, TURN_URLS, TURN_TTL,
  ICE_TRANSPORT_POLICY, RESUME_GRACE, HOSTLESS_MINUTES, MAX_AUDIENCE, COMPOSE_WORKERS,
  TLS_CERT and TLS_KEY (serve HTTPS itself; SIGHUP reloads them), TRUST_PROXY,
  METRICS_TOKEN, METRICS_PORT, METRICS_HOST, METRICS_DETAIL, OPERATOR_TOKEN,
  RETENTION_PERIOD; a node of a district (README, "A district on many machines"):
  REDIS_URL, NODE_ID, NODE_URL, NODE_CAPACITY.
SIGTERM or Ctrl-C stops the server gracefully.
"""

logger = logging.getLogger("signaling")


def demo_links(config: Config, pupils: int = len(DEMO_PUPILS)) -> list[tuple[str, str]]:
    """(label, url) for a teacher and `pupils` pupils of the demo lesson, each with its own
    token (the bench asks for more pupils than the three named ones)."""
    issuer = TokenIssuer(config.secret)
    names = [DEMO_PUPILS[i] if i < len(DEMO_PUPILS) else f"Pupil {i + 1}" for i in range(pupils)]
    people = [("Teacher", "teacher-1", "Ольга Ивановна", Role.TEACHER)] + [
        ("Pupil", f"pupil-{i + 1}", name, Role.PUPIL) for i, name in enumerate(names)
    ]
    links = []
    for label, identity, name, role in people:
        token = issuer.issue(
            identity, name, DEMO_ROOM, role, default_grants(role), ttl=config.token_ttl
        )
        links.append((label, f"{config.base_url}/lesson?token={token}"))
    return links


async def serve(
    config: Config, pupils: int, demo_school: bool, tls: ssl.SSLContext | None = None
) -> None:
    app = create_app(config)
    runner = web.AppRunner(app, shutdown_timeout=5)
    await runner.setup()
    accounts = []
    if demo_school:
        accounts = await demo.seed(app[api.CLASSROOM], config.data_dir / "demo-accounts.json")
    if tls is not None:
        # A renewed certificate (certbot's deploy hook) is taken without a restart: lessons
        # under way keep their connections, the next handshakes get the new one. Set before
        # "ready" is printed: a SIGHUP without its handler would end the process.
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGHUP, reload_certificate, config, tls
        )
    # SIGTERM (systemd, a deploy) and Ctrl-C stop gracefully: participants are told the server
    # is restarting (their pages keep trying), the SFU workers are closed. Set before the
    # server answers, so that no stop, however early, skips that.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    site = web.TCPSite(runner, config.host, config.port, ssl_context=tls)
    await site.start()
    scrapes: web.AppRunner | None = None
    if config.metrics_port > 0:
        scrapes = web.AppRunner(metrics_app(app))
        await scrapes.setup()
        await web.TCPSite(scrapes, config.metrics_host, config.metrics_port).start()
        print(f"Metrics on http://{config.metrics_host}:{config.metrics_port}/metrics", flush=True)
    if accounts:
        print(f"Demo school: sign in at {config.base_url}/signin as", flush=True)
        for account in accounts:
            print(f"  {account.role:8} {account.login:6} / {account.password}  ({account.name})")
    # Host links to a room outside any school are for a demo only: on a school's server
    # anyone who saw the output could teach.
    if demo_school:
        for label, url in demo_links(config, pupils):
            print(f"{label} link: {url}", flush=True)
    # Last: whoever waits for this line has seen everything the start prints.
    print(f"Server ready on {config.base_url}", flush=True)
    try:
        await stop.wait()
    finally:
        if scrapes is not None:
            await scrapes.cleanup()
        await runner.cleanup()


def reload_certificate(config: Config, tls: ssl.SSLContext) -> None:
    try:
        config.ssl_context()  # a pair that does not load would leave `tls` half replaced
    except ValueError as exc:
        logger.error("kept the certificate loaded before: %s", exc)
        return
    config.load_certificate(tls)
    logger.info("reloaded the certificate %s", config.tls_cert)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m signaling",
        description="Serve the classroom (web pages, signalling, SFU) and print demo links.",
        epilog=SETTINGS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("aioice").setLevel(logging.WARNING)  # it logs every ICE check at INFO
    try:
        config = Config.from_env()
        tls = config.ssl_context()
    except ValueError as exc:
        sys.exit(f"python -m signaling: {exc}")
    try:
        pupils = int(os.environ.get("DEMO_PUPILS", len(DEMO_PUPILS)))
        uvloop.run(serve(config, pupils, os.environ.get("DEMO_SCHOOL", "0") == "1", tls))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
