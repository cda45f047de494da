# The two commands a newcomer needs: make run, make test.
GO      ?= go
PKGS    ?= ./...
BENCH   ?= .
COUNT   ?= 1

.PHONY: run build test lint bench bench-http soak openapi fuzz clean

run: ## serve on http://127.0.0.1:8080 with a private Postgres under ./.data
	$(GO) build -o ipledger ./cmd/ipledger && exec ./ipledger serve

build:
	$(GO) build -o ipledger ./cmd/ipledger

test: lint ## the whole suite, against a private Postgres it starts itself
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

lint: ## go vet, gofmt, and go.mod/go.sum exactly as go mod tidy writes them
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

# Benchmarks run against a durable cluster (fsync on), like production.
bench:
	IPLEDGER_TEST_DURABLE=1 $(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(COUNT) -timeout 60m $(PKGS)

# HTTP rates beside pgbench on one durable private cluster, as ratios (docs/BENCHMARKS.md).
bench-http:
	GO=$(GO) ./cmd/ipledger-load/bench-http.sh

# Mixed load at a modest rate for MINUTES (default 30), memory sampled (docs/BENCHMARKS.md, Soak).
soak:
	GO=$(GO) ./cmd/ipledger-load/soak.sh

openapi: ## regenerate the checked-in OpenAPI document
	$(GO) run ./cmd/ipledger openapi yaml > openapi/openapi.yaml

fuzz: ## a short run of every fuzzer
	$(GO) test ./registry/ident -run '^$$' -fuzz FuzzCanonical -fuzztime 30s -fuzzminimizetime 2s
	$(GO) test ./registry/ident -run '^$$' -fuzz FuzzCheckUSCC -fuzztime 30s -fuzzminimizetime 2s
	$(GO) test ./registry/term -run '^$$' -fuzz FuzzParseDate -fuzztime 30s -fuzzminimizetime 2s
	$(GO) test ./ledger -run '^$$' -fuzz FuzzCanonicalJSON -fuzztime 30s -fuzzminimizetime 2s
	$(GO) test ./openapi -run '^$$' -fuzz FuzzBodyGate -fuzztime 30s -fuzzminimizetime 2s

clean:
	rm -f ipledger
