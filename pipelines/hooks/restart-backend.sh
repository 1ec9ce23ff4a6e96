#!/usr/bin/env bash
# Runbook "backend connection failures above normal", repair step:
#   1. check that the backend server answers (HTTP 2xx/3xx on its health URL);
#   2. if it does not, restart its service;
#   3. wait until it answers again, and fail loudly if it does not.
#
# Usage (exec hook argv):  restart-backend.sh [RESTART COMMAND...]
#   Without arguments the service is restarted with `systemctl restart "$BACKEND_SERVICE_NAME"`.
#   With arguments, they are the restart command, run as given (an argv: no eval, no shell).
#
# Input comes from Breakwater's environment only (values are data, never evaluated):
#   BACKEND_SERVER_URL (required), BACKEND_SERVICE_NAME (required for systemctl),
#   BACKEND_NAME, BACKEND_SERVER_NAME, ALERT_ID (logged).
# Tunables (hook `env`): PROBE_TIMEOUT_S (default 3), RECOVER_TIMEOUT_S (default 30).
# Exit status: 0 healthy (already, or after the restart); 1 still unhealthy; 2 bad input.
set -euo pipefail

PROBE_TIMEOUT_S="${PROBE_TIMEOUT_S:-3}"
RECOVER_TIMEOUT_S="${RECOVER_TIMEOUT_S:-30}"
URL="${BACKEND_SERVER_URL:-}"
who="${BACKEND_NAME:-?}/${BACKEND_SERVER_NAME:-?} (alert ${ALERT_ID:-?})"

say() { printf '%s %s\n' "$(date -u +%FT%TZ)" "$*"; }

[[ "$PROBE_TIMEOUT_S" =~ ^[0-9]+$ && "$RECOVER_TIMEOUT_S" =~ ^[0-9]+$ ]] || { say "timeouts must be whole seconds"; exit 2; }
[[ "$URL" =~ ^https?:// ]] || { say "BACKEND_SERVER_URL must be an http(s) URL for $who"; exit 2; }

# Healthy: the health URL answers 2xx or 3xx (any HTTP version) within PROBE_TIMEOUT_S.
healthy() {
  local code
  code="$(curl --silent --output /dev/null --max-time "$PROBE_TIMEOUT_S" --proto '=http,https' \
    --write-out '%{http_code}' -- "$URL" || true)"
  say "probe $URL: HTTP ${code:-none}"
  [[ "$code" =~ ^[23][0-9][0-9]$ ]]
}

if healthy; then
  say "$who answers: nothing to restart"
  exit 0
fi

if (($# > 0)); then
  say "restarting $who with the configured command: $1"
  "$@"
else
  SERVICE="${BACKEND_SERVICE_NAME:-}"
  [[ "$SERVICE" =~ ^[A-Za-z0-9@._:-]+$ ]] || { say "BACKEND_SERVICE_NAME is missing or not a unit name for $who"; exit 2; }
  say "restarting $SERVICE for $who"
  timeout "$RECOVER_TIMEOUT_S" systemctl restart -- "$SERVICE"
  systemctl is-active --quiet -- "$SERVICE" || { say "$SERVICE is not active after the restart"; exit 1; }
fi

deadline=$((SECONDS + RECOVER_TIMEOUT_S))
while ((SECONDS < deadline)); do
  if healthy; then
    say "$who answers again"
    exit 0
  fi
  sleep 1
done
say "$who still does not answer ${RECOVER_TIMEOUT_S}s after the restart"
exit 1
