#!/usr/bin/env bash
# Runbook "backend servers reported DOWN", last resort: reload HAProxy, safely.
#   1. validate the configuration (`haproxy -c -f CONFIG`); never reload a broken one;
#   2. reload (or restart) the service;
#   3. check that the service is active again.
#
# Usage (exec hook argv):  restart-haproxy.sh [reload|restart]      (default: reload)
# Input from Breakwater's environment (data, never evaluated): HAPROXY_BIN, HAPROXY_CONFIG, ALERT_ID.
# Tunables (hook `env`): HAPROXY_SERVICE (default haproxy), RELOAD_TIMEOUT_S (default 30).
# Exit status: 0 reloaded and active; 1 failed; 2 bad input or invalid configuration.
set -euo pipefail

ACTION="${1:-reload}"
SERVICE="${HAPROXY_SERVICE:-haproxy}"
BIN="${HAPROXY_BIN:-haproxy}"
CONFIG="${HAPROXY_CONFIG:-/etc/haproxy/haproxy.cfg}"
RELOAD_TIMEOUT_S="${RELOAD_TIMEOUT_S:-30}"

say() { printf '%s %s\n' "$(date -u +%FT%TZ)" "$*"; }

[[ "$ACTION" == reload || "$ACTION" == restart ]] || { say "action must be reload or restart"; exit 2; }
[[ "$SERVICE" =~ ^[A-Za-z0-9@._:-]+$ ]] || { say "HAPROXY_SERVICE is not a unit name"; exit 2; }
[[ "$RELOAD_TIMEOUT_S" =~ ^[0-9]+$ ]] || { say "RELOAD_TIMEOUT_S must be whole seconds"; exit 2; }

say "validating $CONFIG (alert ${ALERT_ID:-?})"
if ! timeout 10 "$BIN" -c -f "$CONFIG"; then
  say "configuration is invalid: refusing to $ACTION $SERVICE"
  exit 2
fi

say "${ACTION}ing $SERVICE"
timeout "$RELOAD_TIMEOUT_S" systemctl "$ACTION" -- "$SERVICE"

for _ in $(seq 1 10); do
  if systemctl is-active --quiet -- "$SERVICE"; then
    say "$SERVICE is active"
    exit 0
  fi
  sleep 1
done
say "$SERVICE is not active after the $ACTION"
systemctl status --no-pager -- "$SERVICE" || true
exit 1
