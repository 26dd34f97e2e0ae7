#!/usr/bin/env bash
# The pages' checks, run by `make test` (and `make js`): eslint over the front end's modules and
# node's own test runner over the pure ones (tests/js/*.test.mjs). Node and npm come from
# Debian's packages when missing (as root, as scripts/ensure-tools.sh installs chromium); the
# dev tools from package-lock.json (`npm ci`) into node_modules/ (gitignored), installed again
# only when the lock changed. The pages themselves need no node: `make run` never calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "js-check: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  command -v apt-get >/dev/null || die "apt-get is not available to install nodejs and npm"
  [ "$(id -u)" = 0 ] || die "need root to install nodejs and npm"
  say "installing nodejs and npm"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm >/dev/null
fi
# eslint 9 needs node 18.18 (Debian 12 ships 18.19).
node -e 'const [a, b] = process.versions.node.split(".").map(Number);
         process.exit(a > 18 || (a === 18 && b >= 18) ? 0 : 1)' \
  || die "node $(node --version) is too old: 18.18 or newer is needed"

if [ ! -f node_modules/.installed ] || [ package-lock.json -nt node_modules/.installed ]; then
  say "installing the dev tools of package-lock.json"
  npm ci --no-audit --no-fund --silent
  touch node_modules/.installed
fi

node_modules/.bin/eslint --max-warnings 0 .
say "eslint: ok"
node --test tests/js/*.test.mjs
