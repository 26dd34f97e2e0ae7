#!/usr/bin/env bash
# `make cluster`: the production shape without Docker, on local PostgreSQL and Redis:
# two web processes (gunicorn + gevent websocket), an RQ worker and the scheduler.
# Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}

export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/jiyuan311}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export DISPATCH_SECRET_KEY=${DISPATCH_SECRET_KEY:-cluster-$(hostname)-not-for-production}
WEB_PORTS=${WEB_PORTS:-"5001 5002"}

db=${DATABASE_URL##*/}
admin=${DATABASE_URL%/*}/postgres
if ! "$BIN/python" - "$admin" "$db" <<'PY'
import sys, psycopg2
conn = psycopg2.connect(sys.argv[1]); conn.autocommit = True
cur = conn.cursor()
cur.execute("select 1 from pg_database where datname = %s", (sys.argv[2],))
if not cur.fetchone():
    print(f"creating database {sys.argv[2]}")
    cur.execute(f'create database "{sys.argv[2]}"')
PY
then echo "cannot reach PostgreSQL at $admin" >&2; exit 1; fi

"$BIN/python" -m server upgrade-db
[ "${DISPATCH_SEED_DEMO:-1}" = 1 ] && "$BIN/python" -m server seed-demo

pids=()
cleanup() {
  # TERM, then up to 10 s for graceful stops (gunicorn allows 5), then KILL what is left: a
  # process that was still starting may have missed the signal.
  trap - INT TERM EXIT
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
  wait || true
  rm -rf "${metrics_root:-}"
}
trap cleanup INT TERM EXIT

# Metrics (README, "Operations"): each gunicorn its own multi-process folder, scraped at its own
# port's /metrics; the worker and the scheduler serve theirs, and their probes, on their own port.
metrics_root=$(mktemp -d "${TMPDIR:-/tmp}/jiyuan311-cluster-metrics.XXXXXX")
for port in $WEB_PORTS; do
  PROMETHEUS_MULTIPROC_DIR="$metrics_root/web-$port" \
  "$BIN/python" -m gunicorn -c python:server.gunicorn_conf \
    -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 \
    --worker-connections 10000 --no-control-socket -b "127.0.0.1:$port" --graceful-timeout 5 \
    'server.wsgi:create()' &
  pids+=($!)
done
WORKER_OPS_PORT=${WORKER_OPS_PORT:-9101}
SCHEDULER_OPS_PORT=${SCHEDULER_OPS_PORT:-9102}
DISPATCH_OPS_PORT=$WORKER_OPS_PORT "$BIN/python" -m server.worker & pids+=($!)
DISPATCH_OPS_PORT=$SCHEDULER_OPS_PORT "$BIN/python" -m server.scheduler & pids+=($!)
echo "cluster up: web on ports $WEB_PORTS, one worker (ops port $WORKER_OPS_PORT), one" \
  "scheduler (ops port $SCHEDULER_OPS_PORT) (Ctrl-C stops)"
wait -n "${pids[@]}"
echo "a process of the cluster exited; stopping the rest" >&2
