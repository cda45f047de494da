#!/bin/sh
# Soak: MINUTES of mixed load at a modest rate on a durable private cluster; prints each
# minute's rate and latencies per scenario, and the server's memory every 30 s.
#   MINUTES=30 ./cmd/ipledger-load/soak.sh        (docs/BENCHMARKS.md, Soak)
set -eu
MINUTES=${MINUTES:-30}
WRITES=${WRITES:-20}   # asset registrations per second
READS=${READS:-40}     # pledge reads per second
GO=${GO:-go}
dir=$(mktemp -d /tmp/ipledger-soak.XXXXXX)
chmod 755 "$dir"
$GO build -o "$dir/ipledger" ./cmd/ipledger
$GO build -o "$dir/ipledger-load" ./cmd/ipledger-load
token=$("$dir/ipledger" token new)
export IPLEDGER_DATA_DIR="$dir/data" IPLEDGER_ADDR=127.0.0.1:18093 IPLEDGER_BOOTSTRAP_TOKEN="$token" IPLEDGER_RATE_LIMIT=0
unset DATABASE_URL IPLEDGER_READ_DATABASE_URL IPLEDGER_MIGRATE_DATABASE_URL || true
"$dir/ipledger" serve 2>"$dir/server.log" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; echo "logs in $dir"' EXIT
until curl -sf "http://$IPLEDGER_ADDR/readyz" >/dev/null; do sleep 0.2; done
runs=$(seq -s, "$MINUTES" | sed 's/[0-9]\+/1/g')   # one 1-client run per minute
(
  while kill -0 $srv 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' /proc/$srv/status)
    heap=$(curl -sf -H "Authorization: Bearer $token" "http://$IPLEDGER_ADDR/metrics" | awk '/^go_memstats_heap_inuse_bytes/ {print $2}')
    gor=$(curl -sf -H "Authorization: Bearer $token" "http://$IPLEDGER_ADDR/metrics" | awk '/^go_goroutines/ {print $2}')
    echo "mem $(date -u +%H:%M:%S) rss_kib=$rss heap_inuse=$heap goroutines=$gor"
    sleep 30
  done
) &
"$dir/ipledger-load" -url "http://$IPLEDGER_ADDR" -token "$token" -scenario asset -clients "$runs" -warmup 0s -duration 60s -rate "$WRITES" | sed 's/^/writes /' &
w=$!
"$dir/ipledger-load" -url "http://$IPLEDGER_ADDR" -token "$token" -scenario get -clients "$runs" -warmup 0s -duration 60s -rate "$READS" | sed 's/^/reads  /' &
r=$!
wait $w $r
