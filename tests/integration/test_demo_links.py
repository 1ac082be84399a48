"""Demo links (host tokens for a room outside any school) are printed only for a demo."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.server_process import running_server


def _output_of_a_start(data: Path, demo_school: str) -> list[str]:
    with running_server(data, DEMO_SCHOOL=demo_school, SFU_WORKERS="0") as server:
        server.wait_for(lambda out: any("Server ready" in line for line in out) or None, "ready")
        os.kill(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=30)
        server.wait_for(lambda out: True if out and out[-1] == "" else None, "the end of output")
        return list(server.output)


def test_a_school_server_prints_no_links_and_a_demo_does(tmp_path: Path) -> None:
    school = _output_of_a_start(tmp_path / "school", "0")
    assert [line for line in school if "link:" in line or "token=" in line] == []
    demo = _output_of_a_start(tmp_path / "demo", "1")
    links = [line.split(":", 1)[0] for line in demo if " link: " in line]
    assert links == ["Teacher link", "Pupil link", "Pupil link", "Pupil link"]
