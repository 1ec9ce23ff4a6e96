#!/bin/sh
# The load generator of docker-compose.yml: RATE requests per second to the demo HAProxy, one in
# ten to a page that does not exist (404s, as real traffic has). Runs until stopped.
set -eu
url="${TARGET_URL:-http://haproxy:8080}"
rate="${RATE:-60}"
while :; do
  i=0
  while [ "$i" -lt "$rate" ]; do
    if [ $((i % 10)) -eq 0 ]; then path=/missing/page; else path=/; fi
    curl -s -o /dev/null --max-time 2 "$url$path" &
    i=$((i + 1))
  done
  sleep 1
  wait
done
