"""Live push benchmark: the product's `task.offered` push against a bare Socket.IO emit.

    .venv/bin/python -m bench.live_push            # full run (50 rounds per server)
    .venv/bin/python -m bench.live_push --quick    # 10 rounds, to shake out problems

One run, one machine, the same load generator for both servers (see bench/README.md):

1. bare server (bench/bare_server.py): warm up, RSS of the gunicorn worker, connect 3,000 clients
   (200 in room unit:power_supply), idle, RSS again -> KB per connection; drop 1,000 bystanders
   (2,000 connected); N rounds of POST /emit -> all 200 room members received it.
2. product (server.wsgi:create() on a private PostgreSQL database and a private redis-server):
   the same with officer sockets (200 officer-power_supply, the rest in 21 other units) and N
   rounds of POST /api/v1/incidents -> all 200 power_supply sockets received `task.offered` for it.

Writes a table to stdout and bench/results/live_push-<timestamp>.json; exits 0 when product/bare
is <= 2.0x for both the median and the p99 and the product holds 3,000 sockets at <= 100 KB each,
1 otherwise (or when the harness itself failed).

The modules: `generator` (the load generator's processes and the orchestrator's side of them),
`scenario` (memory at 3,000 connected, then the timed rounds), `phases` (each server started and
measured), `__main__` (the command line, the run, the verdict). The shape of the run is here.
"""

from __future__ import annotations

NAMESPACE = "/live"

TARGET_UNIT = "power_supply"
TARGET_ROOM = f"unit:{TARGET_UNIT}"
DEPARTMENTS = ["power_supply", "water_supply", "public_security", "traffic_police", "petition",
               "housing_construction", "development_reform"]
TERRITORIES = [f"4190010{n:02d}" for n in range(1, 6)] + [f"419001{n}" for n in range(100, 111)]
# Units whose sockets must not hear the report: everything but the two recipients of the offer.
BYSTANDER_UNITS = [u for u in DEPARTMENTS + TERRITORIES if u not in (TARGET_UNIT, "419001102")]
REPORT = {"category": "power_cut", "description": "bench",
          "location": {"lat": 35.0206, "lon": 112.6340}}  # inside 419001102 (轵城镇)

ROOM_SIZE = 200          # recipients measured
CONNECTED = 2_000        # connected during the latency rounds
MEMORY_CONNECTED = 3_000  # connected for the memory figure
GENERATORS = 2           # load-generator processes (1,500 clients each at the peak)
CONNECT_BATCH = 100      # concurrent handshakes per generator
BARE_PAD = 700           # bare emit payload padding, about the size of a product task.offered
TARGET_RATIO = 2.0
TARGET_KB = 100.0
