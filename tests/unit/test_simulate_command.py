"""The `simulate` command's edges that need no server: a clear error when there is none, its
options' bounds, and the warning when the server's clocks do not run at --speed."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from simulate.cli import simulate_command
from simulate.run import _check_scale


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_server_is_a_clear_error_not_a_traceback() -> None:
    result = CliRunner().invoke(simulate_command,
                                ["--url", f"http://127.0.0.1:{free_port()}", "--hours", "1"])
    assert result.exit_code == 1
    assert "cannot reach http://127.0.0.1:" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, name", [
    (["--speed", "0.99"], "--speed"), (["--hours", "0"], "--hours"),
    (["--late-share", "1.01"], "--late-share"), (["--start", "24"], "--start"),
    (["--rate", "0"], "--rate"), (["--crews", "0"], "--crews"),
])
def test_options_past_their_bounds_are_refused(args: list[str], name: str) -> None:
    result = CliRunner().invoke(simulate_command, args)
    assert result.exit_code == 2 and name in result.output


def _incident(arrival_s: float) -> dict[str, object]:
    t0 = datetime(2026, 11, 28, tzinfo=UTC)
    return {"received_at": t0.isoformat(),
            "deadlines": {"arrival": (t0 + timedelta(seconds=arrival_s)).isoformat()}}


def test_a_server_whose_clocks_run_at_another_speed_is_pointed_out() -> None:
    said: list[str] = []
    _check_scale(_incident(30), 60, said.append)    # 30 min / 60: as it should be
    _check_scale(_incident(31.5), 60, said.append)  # within 5 %
    assert said == []
    _check_scale(_incident(1800), 60, said.append)  # the server runs the real rule
    assert len(said) == 1 and "DISPATCH_TIME_SCALE=60" in said[0] and "1x" in said[0]
