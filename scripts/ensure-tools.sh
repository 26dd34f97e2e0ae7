#!/usr/bin/env bash
# The tools the tests drive besides the services: chromium (the command center's browser tests),
# nginx, the load balancer of docker-compose.yml
# (its config is checked with `nginx -t` and run in front of two web processes), and promtool
# (Debian's prometheus package: the alert rules and the scrape config of deploy/ are checked). Installed from
# Debian's packages when missing (as root); the smallest flavour where there is one. No container
# engine: the compose file is checked against the Compose Specification's schema when none is here.
set -euo pipefail
say() { echo "ensure-tools: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  command -v apt-get >/dev/null || die "apt-get is not available to install nginx"
  [ "$(id -u)" = 0 ] || die "need root to install nginx"
  say "installing nginx"
  apt-get update -q >/dev/null
  # Debian 12 has nginx-light; later releases have only nginx.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx-light >/dev/null 2>&1 \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx >/dev/null
  # Where the package's scripts started the stock site (no policy-rc.d), stop it: the tests start
  # their own nginx on a free port.
  if [ -s /run/nginx.pid ]; then /usr/sbin/nginx -s quit 2>/dev/null || true; fi
fi
say "nginx: ok"

# Chromium from Debian, the browser the command center's end-to-end tests drive (Playwright with
# executable_path=/usr/bin/chromium: Playwright's own browser download is not used).
if [ ! -x /usr/bin/chromium ]; then
  command -v apt-get >/dev/null || die "apt-get is not available to install chromium"
  [ "$(id -u)" = 0 ] || die "need root to install chromium"
  say "installing chromium"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
say "chromium: ok"
# A Chinese font, so that the screenshots of the (zh-CN) pages show text and not boxes.
if ! fc-list 2>/dev/null | grep -qi -e wqy -e "noto sans cjk"; then
  [ "$(id -u)" = 0 ] || die "need root to install a Chinese font"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends fonts-wqy-microhei >/dev/null
fi
say "CJK font: ok"

# promtool, from Debian's prometheus package (the server itself is not run: policy-rc.d, where
# the image has one, keeps the package from starting it; otherwise it is stopped at once).
if ! command -v promtool >/dev/null; then
  command -v apt-get >/dev/null || die "apt-get is not available to install prometheus (promtool)"
  [ "$(id -u)" = 0 ] || die "need root to install prometheus (promtool)"
  say "installing prometheus (for promtool)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null
  if [ -x /etc/init.d/prometheus ] && [ ! -x /usr/sbin/policy-rc.d ]; then
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  fi
fi
say "promtool: ok"
