"""The rows of `python -m bench`, one module per family, and the order they run in.

Each row is a function of the run's `Ctx` that returns its `Row` (bench/README.md: what each
measures and its target)."""

from __future__ import annotations

from collections.abc import Callable

from bench.measure import Ctx, Row
from bench.rows.command_page import row_command_page
from bench.rows.ingest import row_ingest_closed, row_ingest_open, row_ingest_two
from bench.rows.positions import row_positions_http, row_positions_socket
from bench.rows.phones import row_phones
from bench.rows.push import row_push
from bench.rows.reads import row_list, row_map
from bench.rows.storm import row_storm
from bench.rows.timers import row_backlog, row_timers_burst, row_timers_lateness

# In this order: the map and the list read the 5,000 open cases before the ingest rows add
# theirs; the overload row comes last on the shared web process (a product that queues the excess
# keeps working for a while after it), and its web processes are stopped before the push row.
ROWS: dict[str, Callable[[Ctx], Row]] = {
    "map": row_map, "list": row_list, "ingest_closed": row_ingest_closed,
    "ingest_two": row_ingest_two, "positions_http": row_positions_http,
    "positions_socket": row_positions_socket, "timers_burst": row_timers_burst,
    "timers_lateness": row_timers_lateness, "backlog": row_backlog,
    "command_page": row_command_page, "ingest_open": row_ingest_open, "storm": row_storm,
    "push": row_push, "phones": row_phones,
}
