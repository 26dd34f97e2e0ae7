#!/usr/bin/env bash
# Makes the services the tests need available on this machine, installing Debian packages when
# they are missing (as root), starting what is stopped. Fails loudly when it cannot: the tests
# never skip for a missing service.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

say() { echo "ensure-services: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get is not available to install $*"
  [ "$(id -u)" = 0 ] || die "need root to install $*"
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    apt-get update -q >/dev/null
    apt_updated=1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

# --- PostgreSQL --------------------------------------------------------------------------------
if ! command -v pg_lsclusters >/dev/null && ! command -v psql >/dev/null; then
  apt_install postgresql
fi
if ! pg_isready -q -t 2; then
  say "PostgreSQL is not answering on $PGHOST:$PGPORT; starting the cluster"
  if command -v pg_lsclusters >/dev/null; then
    read -r ver name _ < <(pg_lsclusters --no-header | head -n1)
    pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -t 1 && break; sleep 1; done
  pg_isready -q -t 2 || die "PostgreSQL does not answer on $PGHOST:$PGPORT"
fi

has_postgis() {
  [ "$(psql -d postgres -tAc "select count(*) from pg_available_extensions where name='postgis'")" = 1 ]
}
if ! has_postgis; then
  major=$(psql -d postgres -tAc "show server_version_num" | cut -c1-2)
  apt_install "postgresql-${major}-postgis-3"
  has_postgis || die "PostGIS is still not available to PostgreSQL ${major}"
fi
say "PostgreSQL with PostGIS: ok"

# --- Redis -------------------------------------------------------------------------------------
REDIS_PORT=${REDIS_PORT:-6379}
if ! command -v redis-server >/dev/null; then
  apt_install redis-server
fi
if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  say "starting Redis on $REDIS_PORT"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp --logfile /tmp/redis-"$REDIS_PORT".log
  for _ in $(seq 1 20); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.5; done
  redis-cli -p "$REDIS_PORT" ping >/dev/null || die "Redis does not answer on $REDIS_PORT"
fi
say "Redis: ok"
