"""The `simulate` command. Its options only: the client libraries are imported when it runs, so
the other commands do not pay for loading them."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("simulate")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True,
              help="the running server")
@click.option("--speed", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="simulated time runs this many times faster; start the server with "
                   "DISPATCH_TIME_SCALE set to the same")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True), default=24.0,
              show_default=True, help="simulated hours of reports")
@click.option("--start", "start_hour", type=click.FloatRange(0, 24, max_open=True), default=8.0,
              show_default=True, help="local hour (CST) the simulated period starts at")
@click.option("--per-day", type=click.FloatRange(min=0), default=48.0, show_default=True,
              help="mean reports in a whole day (spread over the day's hourly curves)")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="load mode: this many reports a second of wall time, officers only accept")
@click.option("--late-share", type=click.FloatRange(0, 1), default=0.15, show_default=True,
              help="share of the units' arrivals made late on purpose")
@click.option("--drain", "drain_minutes", type=click.FloatRange(min=0), default=90.0,
              show_default=True,
              help="simulated minutes after the last report allowed for the clocks to settle")
@click.option("--crews", type=click.IntRange(min=1), default=3, show_default=True,
              help="cases a unit's officer account works at once (its crews)")
@click.option("--seed", type=int, default=1, show_default=True, help="the same seed, the same day")
@click.option("--password", default="demo", show_default=True, help="the demo users' password")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="also write the summary as JSON here")
def simulate_command(url: str, speed: float, hours: float, start_hour: float, per_day: float,
                     rate: float | None, late_share: float, drain_minutes: float, crews: int,
                     seed: int, password: str, json_path: Path | None) -> None:
    """Run a simulated 311 day against a running server (with the demo seeded): reporters at
    plausible places and hours, officers who accept, drive, check in (some late), restore and
    solve; prints a summary at the end, or at Ctrl-C."""
    from simulate.client import ApiError
    from simulate.ledger import render
    from simulate.run import Options, simulate

    opts = Options(url=url, speed=speed, hours=hours, rate=rate, seed=seed, per_day=per_day,
                   start_hour=start_hour, late_share=late_share, drain_minutes=drain_minutes,
                   crews=crews, password=password)
    try:
        summary = simulate(opts, say=click.echo)
    except ApiError as exc:
        raise click.ClickException(f"the server refused: {exc}") from None
    except OSError as exc:  # requests' connection errors are OSErrors
        raise click.ClickException(f"cannot reach {url}: {exc}") from None
    click.echo(render(summary))
    if json_path is not None:
        json_path.write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
