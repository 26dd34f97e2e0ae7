#!/usr/bin/env bash
# `make ha`: the high-availability shape on one machine, from Debian's packages, on loopback:
#   - etcd (one member) and three PostgreSQL/PostGIS nodes under Patroni, synchronous mode (a
#     commit waits for the synchronous standby: a 201 is never lost with the leader that gave it);
#   - HAProxy sending connections to the leader alone (Patroni's REST check GET /primary);
#   - Redis master + replica, three Sentinels (quorum 2);
#   - two web processes (gunicorn + gevent websocket) behind nginx (deploy/nginx.conf), two RQ
#     workers, two schedulers (one holds the lease: dispatch/storage/lease.py).
# Everything lives in HA_DIR (a new private directory unless given) with its logs, pids
# (HA_DIR/pids/<name>.pid, each the leader of its own process group) and the ports it chose
# (HA_DIR/ports.env, which the fault tests read); removed at the end unless HA_KEEP=1 (or
# HA_KEEP=logs). A component that dies is reported, not restarted, and the rest keep running:
# that is what the shape is for. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BIN:-$ROOT/.venv/bin}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}
[ -x "$PG_BIN/postgres" ] || { echo "PostgreSQL's binaries are missing (make services)" >&2; exit 1; }
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

HA_DIR=${HA_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/jiyuan311-ha.XXXXXX")}
mkdir -p "$HA_DIR"/{pids,logs}
chmod 711 "$HA_DIR"
SERVICE=jiyuan311
DB=${HA_DB:-jiyuan311}
say() { echo "ha: $*" >&2; }

# --- ports: 21 free loopback ports, written down for the tests ---------------------------------
read -r -a P < <("$BIN/python" - <<'PY'
import socket
socks = []
for _ in range(21):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)
ETCD=${P[0]} ETCD_PEER=${P[1]}
PG=("${P[2]}" "${P[3]}" "${P[4]}") API=("${P[5]}" "${P[6]}" "${P[7]}")
HAPROXY_PORT=${P[8]} REDIS=("${P[9]}" "${P[10]}") SENTINEL=("${P[11]}" "${P[12]}" "${P[13]}")
WEB=("${P[14]}" "${P[15]}") LB=${P[16]} OPS=("${P[17]}" "${P[18]}" "${P[19]}" "${P[20]}")
SENTINELS=$(printf '127.0.0.1:%s,' "${SENTINEL[@]}"); SENTINELS=${SENTINELS%,}
DATABASE_URL="postgresql://postgres@127.0.0.1:$HAPROXY_PORT/$DB"
REDIS_URL="redis+sentinel://$SENTINELS/0/$SERVICE"
cat > "$HA_DIR/ports.env" <<EOF
HA_DIR=$HA_DIR
ETCD=$ETCD
PG="${PG[*]}"
API="${API[*]}"
HAPROXY_PORT=$HAPROXY_PORT
REDIS="${REDIS[*]}"
SENTINEL="${SENTINEL[*]}"
WEB="${WEB[*]}"
LB=$LB
OPS="${OPS[*]}"
SERVICE=$SERVICE
DATABASE_URL=$DATABASE_URL
REDIS_URL=$REDIS_URL
EOF

# --- process bookkeeping -----------------------------------------------------------------------
AS_PG=()
if [ "$(id -u)" = 0 ]; then AS_PG=(runuser -u postgres --); fi  # PostgreSQL refuses root
start() {  # start NAME CMD...: in its own session, output in logs/NAME.log, pid in pids/NAME.pid
  local name=$1; shift
  setsid "$@" >>"$HA_DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$HA_DIR/pids/$name.pid"
}
stop_all() {
  trap - INT TERM EXIT
  say "stopping"
  for f in "$HA_DIR"/pids/*.pid; do
    [ -e "$f" ] && kill -TERM -- "-$(cat "$f")" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do
    alive=0
    for f in "$HA_DIR"/pids/*.pid; do kill -0 "$(cat "$f")" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for f in "$HA_DIR"/pids/*.pid; do kill -KILL -- "-$(cat "$f")" 2>/dev/null || true; done
  # A postmaster whose Patroni was killed outlives it: stop it from its own pid file.
  for n in 1 2 3; do
    pm="$HA_DIR/pg$n/data/postmaster.pid"
    [ -s "$pm" ] && kill -KILL "$(head -n1 "$pm")" 2>/dev/null || true
  done
  if [ "${HA_KEEP:-0}" != 1 ]; then  # HA_KEEP=1 keeps everything; HA_KEEP=logs the logs
    [ "${PG_HOME:-$HA_DIR}" = "$HA_DIR" ] || rm -rf "$PG_HOME"
    if [ "${HA_KEEP:-0}" = logs ]; then
      find "$HA_DIR" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
    else
      rm -rf "$HA_DIR"
    fi
  fi
}
trap stop_all INT TERM EXIT
wait_for() {  # wait_for SECONDS WHAT CMD...
  local t=$1 what=$2; shift 2
  for _ in $(seq 1 $((t * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  say "FAILED: $what did not come up in $t s (logs in $HA_DIR/logs)"; tail -n 30 "$HA_DIR"/logs/*.log >&2 || true
  exit 1
}

# --- etcd, Patroni, HAProxy --------------------------------------------------------------------
start etcd etcd --name ha --data-dir "$HA_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD" --advertise-client-urls "http://127.0.0.1:$ETCD" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "ha=http://127.0.0.1:$ETCD_PEER" --enable-v2=true
wait_for 20 etcd etcdctl --endpoints "127.0.0.1:$ETCD" endpoint health

# PostgreSQL runs as its own user: where HA_DIR's parents are closed to it (a root-only temporary
# folder), the nodes live in a folder of their own, linked from HA_DIR.
PG_HOME=$HA_DIR
if [ "${#AS_PG[@]}" -gt 0 ] && ! "${AS_PG[@]}" test -x "$HA_DIR"; then
  PG_HOME=$(mktemp -d "/tmp/jiyuan311-ha-pg.XXXXXX"); chmod 711 "$PG_HOME"
fi
for n in 1 2 3; do
  i=$((n - 1)); node="$PG_HOME/pg$n"
  mkdir -p "$node"
  [ "$PG_HOME" = "$HA_DIR" ] || ln -sfn "$node" "$HA_DIR/pg$n"
  # ttl 10 s, one loop a second: a dead leader's key expires within 10 s and the synchronous
  # standby is promoted (loop_wait + 2 * retry_timeout < ttl, as Patroni requires).
  cat > "$node/patroni.yml" <<EOF
scope: $SERVICE
namespace: /jiyuan311-ha/
name: pg$n
restapi:
  listen: 127.0.0.1:${API[$i]}
  connect_address: 127.0.0.1:${API[$i]}
etcd3:
  host: 127.0.0.1:$ETCD
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 200
        synchronous_commit: "on"
        fsync: "on"
        tcp_keepalives_idle: 5
        tcp_keepalives_interval: 2
        tcp_keepalives_count: 2
  initdb:
  - encoding: UTF8
  - locale: C.UTF-8
  pg_hba:
  - local all all trust
  - host replication replicator 127.0.0.1/32 trust
  - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${PG[$i]}
  connect_address: 127.0.0.1:${PG[$i]}
  data_dir: $node/data
  bin_dir: $PG_BIN
  pgpass: $node/pgpass
  authentication:
    replication: {username: replicator, password: replicator}
    superuser: {username: postgres, password: postgres}
    rewind: {username: postgres, password: postgres}
  parameters:
    unix_socket_directories: $node
tags: {nofailover: false, noloadbalance: false, clonefrom: false}
EOF
  [ "$(id -u)" = 0 ] && chown -R postgres: "$node"
  start "pg$n" "${AS_PG[@]}" patroni "$node/patroni.yml"
  # The first node bootstraps the cluster alone; the others then clone it.
  [ "$n" = 1 ] && wait_for 60 "the first Patroni leader" \
    curl -sf "http://127.0.0.1:${API[0]}/primary"
done

cat > "$HA_DIR/haproxy.cfg" <<EOF
global
  maxconn 2000
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 1s
listen primary
  bind 127.0.0.1:$HAPROXY_PORT
  # Only the leader answers 200 on /primary; a demoted one loses its sessions at once.
  option httpchk
  http-check send meth GET uri /primary
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
  server pg1 127.0.0.1:${PG[0]} check port ${API[0]}
  server pg2 127.0.0.1:${PG[1]} check port ${API[1]}
  server pg3 127.0.0.1:${PG[2]} check port ${API[2]}
EOF
start haproxy "$HAPROXY" -db -f "$HA_DIR/haproxy.cfg"
wait_for 30 "PostgreSQL through HAProxy" "$PG_BIN/psql" -h 127.0.0.1 -p "$HAPROXY_PORT" -U postgres -d postgres -tAc "select 1"
wait_for 90 "both replicas streaming" bash -c \
  "[ \$(curl -sf http://127.0.0.1:${API[0]}/cluster | grep -o '\"state\": *\"\\(streaming\\|running\\)\"' | wc -l) -ge 3 ]"

# --- Redis and its Sentinels -------------------------------------------------------------------
for r in 0 1; do
  extra=(); [ "$r" = 1 ] && extra=(--replicaof 127.0.0.1 "${REDIS[0]}")
  mkdir -p "$HA_DIR/redis$r"
  start "redis$r" redis-server --port "${REDIS[$r]}" --bind 127.0.0.1 --dir "$HA_DIR/redis$r" \
    --save "" --appendonly yes --appendfsync everysec "${extra[@]}"
done
for s in 0 1 2; do
  cat > "$HA_DIR/sentinel$s.conf" <<EOF
port ${SENTINEL[$s]}
bind 127.0.0.1
dir $HA_DIR
sentinel monitor $SERVICE 127.0.0.1 ${REDIS[0]} 2
sentinel down-after-milliseconds $SERVICE 1000
sentinel failover-timeout $SERVICE 5000
sentinel parallel-syncs $SERVICE 1
EOF
  start "sentinel$s" redis-sentinel "$HA_DIR/sentinel$s.conf"
done
wait_for 20 "the Sentinels" redis-cli -p "${SENTINEL[0]}" sentinel get-master-addr-by-name "$SERVICE"

# --- the product -------------------------------------------------------------------------------
export DATABASE_URL REDIS_URL
export DISPATCH_SECRET_KEY=${DISPATCH_SECRET_KEY:-ha-$(hostname)-not-for-production}
"$PG_BIN/psql" -h 127.0.0.1 -p "$HAPROXY_PORT" -U postgres -d postgres -tAc \
  "select 1 from pg_database where datname = '$DB'" | grep -q 1 \
  || "$PG_BIN/psql" -h 127.0.0.1 -p "$HAPROXY_PORT" -U postgres -d postgres -qc "create database \"$DB\""
"$BIN/python" -m server upgrade-db >>"$HA_DIR/logs/setup.log" 2>&1
[ "${DISPATCH_SEED_DEMO:-1}" = 1 ] && "$BIN/python" -m server seed-demo >>"$HA_DIR/logs/setup.log" 2>&1

for w in 0 1; do
  mkdir -p "$HA_DIR/metrics-web$w"
  PROMETHEUS_MULTIPROC_DIR="$HA_DIR/metrics-web$w" start "web$w" "$BIN/python" -m gunicorn \
    -c python:server.gunicorn_conf -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker \
    -w 1 --worker-connections 10000 --no-control-socket -b "127.0.0.1:${WEB[$w]}" \
    --graceful-timeout 5 'server.wsgi:create()'
done
for w in 0 1; do
  DISPATCH_OPS_PORT=${OPS[$w]} start "worker$w" "$BIN/python" -m server.worker
done
for s in 0 1; do
  DISPATCH_OPS_PORT=${OPS[$((s + 2))]} start "scheduler$s" "$BIN/python" -m server.scheduler
done
# nginx: deploy/nginx.conf with the compose file's names made local (as tests/lb.py does).
user=www-data; id -u www-data >/dev/null 2>&1 || user=nobody
mkdir -p "$HA_DIR/nginx"
upstreams="server 127.0.0.1:${WEB[0]}; server 127.0.0.1:${WEB[1]};"
sed -e "s/server web:5000;/$upstreams/" -e "s/listen 80;/listen 127.0.0.1:$LB;/" \
  -e "s/user nginx;/user $user;/" deploy/nginx.conf > "$HA_DIR/nginx/nginx.conf"
start nginx "$NGINX" -p "$HA_DIR/nginx" -c "$HA_DIR/nginx/nginx.conf" -e stderr \
  -g "pid $HA_DIR/nginx/nginx.pid; daemon off;"
for w in 0 1; do
  wait_for 60 "web$w" curl -sf "http://127.0.0.1:${WEB[$w]}/readyz"
done
wait_for 20 nginx curl -sf "http://127.0.0.1:$LB/readyz"

leader=$(curl -sf "http://127.0.0.1:${API[0]}/cluster" | "$BIN/python" -c \
  'import json,sys; print(next(m["name"] for m in json.load(sys.stdin)["members"] if m["role"] == "leader"))')
cat <<EOF
ha up: http://127.0.0.1:$LB (nginx → web ${WEB[*]})
  PostgreSQL: Patroni nodes pg1-3 on ${PG[*]} (REST ${API[*]}), leader $leader, synchronous mode;
              HAProxy (writes to the leader) on $HAPROXY_PORT: $DATABASE_URL
  Redis:      master ${REDIS[0]}, replica ${REDIS[1]}, Sentinels ${SENTINEL[*]}: $REDIS_URL
  two workers (ops ports ${OPS[0]} ${OPS[1]}), two schedulers (one holds the lease; ops ${OPS[2]} ${OPS[3]})
  directory:  $HA_DIR (logs/, pids/, ports.env)   Ctrl-C stops everything
EOF
touch "$HA_DIR/up"

# Report deaths; keep serving with what is left (the tests kill components on purpose).
declare -A reported=()
while true; do
  for f in "$HA_DIR"/pids/*.pid; do
    name=$(basename "$f" .pid)
    if [ -z "${reported[$name]:-}" ] && ! kill -0 "$(cat "$f")" 2>/dev/null; then
      say "$name exited (logs/$name.log); the rest keep running"
      reported[$name]=1
    fi
  done
  sleep 1
done
