# govchat. The two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/govchat
CORPUS ?= ../shared/corpus/govuk

.PHONY: all build test demo vectors web devdb-start devdb-stop vet fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/govchat

# Every test, against a throw-away dev database it starts and stops itself.
test:
	scripts/test.sh

# Start the dev database, ingest the sample corpus, build the page, serve it.
demo:
	scripts/demo.sh

vectors:
	scripts/vectors.sh

web:
	scripts/web.sh

devdb-start:
	scripts/devdb.sh start

devdb-stop:
	scripts/devdb.sh stop

vet:
	$(GO) vet ./...

# Short fuzz runs of every target (FUZZTIME=5m for a longer local run).
FUZZTIME ?= 20s
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

bench:
	scripts/bench.sh

clean:
	rm -rf bin .cache/test-devdb .cache/test-devdb-replica
