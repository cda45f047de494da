#!/bin/sh
# bench-http: HTTP throughput of ipledger as a ratio to raw Postgres, in one sitting.
# Starts a durable private cluster (fsync on) with `ipledger serve`; for each scenario of
# ipledger-load (pledge, asset, get) it measures pgbench one-row INSERTs at 32 clients on that
# cluster, then runs the scenario at CLIENTS clients and prints every rate with its ratio to it.
# IPLEDGER_BIN: a server binary to measure instead of building ./cmd/ipledger.
set -eu
GO=${GO:-go}
CLIENTS=${CLIENTS:-1,8,32}
DURATION=${DURATION:-10s}
PORT=${PORT:-18471}
SCENARIOS=${SCENARIOS:-pledge asset get}

DIR=$(mktemp -d /tmp/ipledger-bench.XXXXXX)
chmod 755 "$DIR" # the cluster runs as the postgres OS user when we are root
if [ -n "${IPLEDGER_BIN:-}" ]; then cp "$IPLEDGER_BIN" "$DIR/ipledger"; else $GO build -o "$DIR/ipledger" ./cmd/ipledger; fi
$GO build -o "$DIR/ipledger-load" ./cmd/ipledger-load
TOKEN=$("$DIR/ipledger" token new)
IPLEDGER_DATA_DIR="$DIR/data" IPLEDGER_ADDR="127.0.0.1:$PORT" IPLEDGER_BOOTSTRAP_TOKEN="$TOKEN" \
	IPLEDGER_RATE_LIMIT=0 "$DIR/ipledger" serve 2>"$DIR/serve.log" &
PID=$!
cleanup() { kill -INT "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT INT TERM
i=0
until curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 120 ]; then echo "server did not start:"; cat "$DIR/serve.log"; exit 1; fi
	sleep 0.5
done

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
SOCK="$DIR/data/pg"
"$PGBIN/psql" -qX -h "$SOCK" -U postgres -d postgres -c 'CREATE DATABASE pgbench' >/dev/null
"$PGBIN/psql" -qX -h "$SOCK" -U postgres -d pgbench \
	-c 'CREATE TABLE one_row (id bigserial PRIMARY KEY, v text NOT NULL, at timestamptz NOT NULL DEFAULT now())' >/dev/null
echo "INSERT INTO one_row (v) VALUES ('x');" >"$DIR/insert.sql"
# The reference is measured again right before each scenario: the machine is shared, and a
# ratio means most when both sides ran under the same load. The bulk benchmarks measure the same
# reference from Go (migrations/dbtest.ReferenceRate): keep the two alike.
for s in $SCENARIOS; do
	REF=$("$PGBIN/pgbench" -h "$SOCK" -U postgres -n -c 32 -j 2 -T 10 -f "$DIR/insert.sql" pgbench 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
	echo "pgbench one-row INSERT, 32 clients, 10 s, same cluster (fsync on): $REF tx/s"
	"$DIR/ipledger-load" -url "http://127.0.0.1:$PORT" -token "$TOKEN" -scenario "$s" \
		-clients "$CLIENTS" -duration "$DURATION" -ref "$REF"
done
