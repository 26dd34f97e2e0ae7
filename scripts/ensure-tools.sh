#!/usr/bin/env bash
# Tools the tests use besides the services: a Compose implementation to validate
# docker-compose.yml. Installed from Debian's packages when missing.
set -euo pipefail
say() { echo "ensure-tools: $*" >&2; }

if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
  [ "$(id -u)" = 0 ] || { say "need root to install docker-compose"; exit 1; }
  say "installing docker-compose"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >/dev/null
fi
say "compose: ok"
