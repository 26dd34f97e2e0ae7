#!/usr/bin/env bash
# The engines of the high-availability shape (`make ha`, `make test-faults`), from Debian's
# packages when missing (as root): Patroni, etcd (server and client), HAProxy and Redis Sentinel,
# besides PostgreSQL+PostGIS and Redis (scripts/ensure-services.sh) and nginx
# (scripts/ensure-tools.sh). Nothing is started here and no stock service is left running:
# scripts/ha.sh starts its own on loopback in a private directory.
set -euo pipefail
say() { echo "ensure-ha: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

missing=()
command -v patroni >/dev/null || missing+=(patroni)
command -v etcd >/dev/null || missing+=(etcd-server)
command -v etcdctl >/dev/null || missing+=(etcd-client)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || die "apt-get is not available to install ${missing[*]}"
  [ "$(id -u)" = 0 ] || die "need root to install ${missing[*]}"
  say "installing ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  # Where the packages' scripts started their stock services (no policy-rc.d), stop them: the
  # shape runs its own on private ports.
  if [ ! -x /usr/sbin/policy-rc.d ]; then
    for svc in etcd haproxy redis-sentinel patroni; do
      [ -x "/etc/init.d/$svc" ] && "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    done
  fi
fi
say "patroni $(patroni --version 2>&1 | awk '{print $2}'), etcd, haproxy, redis-sentinel: ok"
