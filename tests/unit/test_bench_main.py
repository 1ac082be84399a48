"""python -m bench: which SFU process counts each scenario runs with, and where things run."""

from bench.__main__ import bots_core, parse_args, server_cores, workers_for


def test_rooms_compare_one_and_two_processes_here_and_ramp_them_on_bigger_machines() -> None:
    assert workers_for("rooms", None, cores=2) == [1, 2]
    assert workers_for("rooms", None, cores=8) == [1, 2, 3, 4, 5, 6, 7]
    assert workers_for("lesson", None, cores=8) == [None]  # the server's default
    assert workers_for("lesson", [1, 3], cores=2) == [1, 3]  # --workers: every scenario


def test_n_processes_get_n_cores_and_the_bots_the_last_on_four_cores_or_more() -> None:
    assert (server_cores(None, 2), server_cores(2, 2), bots_core(2)) == (0, 0, 1)
    assert (server_cores(1, 8), server_cores(3, 8), server_cores(9, 8), bots_core(8)) == (
        0,
        "0-2",
        "0-6",
        7,
    )


def test_every_server_s_subscribers_use_the_cheap_feedback_by_default() -> None:
    assert parse_args([]).feedback == "cheap"
    assert parse_args(["--feedback", "aiortc"]).feedback == "aiortc"
    assert parse_args(["--no-feedback"]).no_feedback


def test_the_bots_run_on_asyncio_unless_uvloop_is_asked_for() -> None:
    assert parse_args([]).loop == "asyncio"
    assert parse_args(["--loop", "uvloop"]).loop == "uvloop"
