"""The benchmarks: `python -m bench` (`make bench`) and the single-purpose ones beside it.

Run from the checkout's root as modules (`python -m bench.<name>`); bench/README.md says what each
measures. A dev tool: not in the wheel, type-checked with the product, and the product never
imports it (an import-linter contract).

`make bench` is split by job:

- `processes`: this machine -- processes in their own sessions, free ports, /proc figures, the
  private redis-server, the PostgreSQL admin connection (shared with `live_push`);
- `stack`: the private services of one run (databases, redis-server, gunicorn processes);
- `seeding`: the template database and the open cases cloned from it;
- `measure`: one pass of load and its figures, the correctness checks, the row's record;
- `rows`: one module per family of rows (reads, ingest, positions, timers, push);
- `report`: the machine, the table, RESULTS.md;
- `__main__`: the command line and the run.

The processes they start: `bare_app` (the bare baseline, served by gunicorn), `fire_timers` (the
timer firing in a process of its own), `loadgen` (the load generator's processes).
"""
