# edge-agent. `make help` lists the targets.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
MODELS ?= models
DEMO_DIR ?= data/demo
DEMO_VIDEO := $(DEMO_DIR)/synthetic-1080p.mp4
# The package version, from git describe (scripts/package/version.sh); also
# linked into the binary (edge-agent version).
ifeq ($(origin VERSION),undefined)
VERSION := $(shell bash scripts/package/version.sh)
endif
DIST ?= dist
PKGWORK ?= data/package
DEB_ARCHS ?= amd64 arm64
PACKAGE_TOOLS := dpkg-dev lintian licensecheck mmdebstrap qemu-user-static g++-aarch64-linux-gnu

.PHONY: help deps models build tools demo demo-video test test-unit test-matprofile fuzz lint bench clean package-deps deb test-package

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

deps: ## install missing Debian packages and Go modules
	@bash scripts/deps.sh
	@$(GO) mod download

models: deps ## fetch, verify and patch the OCR models into $(MODELS)/
	@bash scripts/models.sh $(MODELS)

build: deps ## build bin/edge-agent
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/edge-agent ./cmd/edge-agent

tools: deps ## build bin/edge-videogen (synthetic and photo videos)
	$(GO) build -o bin/edge-videogen ./cmd/edge-videogen

$(DEMO_VIDEO): | tools
	bin/edge-videogen synthetic --out $(DEMO_DIR) --height 1080 --passes 12 --seed 1

demo-video: tools $(DEMO_VIDEO) ## generate the bundled recorded video

demo: models build demo-video ## run the agent on the bundled video with the shipped config, print the reads
	rm -f data/edge-agent.db data/edge-agent.db-wal data/edge-agent.db-shm
	bin/edge-agent run --config configs/edge-agent.yaml
	@echo "--- reads stored in data/edge-agent.db:"
	@bin/edge-agent reads --db data/edge-agent.db --format tsv

test: models build tools ## install what is missing and run every test (integration included)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 60m ./...
	$(MAKE) --no-print-directory test-matprofile fuzz

test-unit: ## fast tests only (-short: no broker, no long runs)
	$(GO) test -short ./...

test-matprofile: ## the OpenCV packages' tests with Mat leak tracking
	$(GO) test -count=1 -tags matprofile ./internal/capture/... ./internal/alpr/... ./internal/synth/... ./internal/agent/...

FUZZTIME ?= 100000x
fuzz: ## a short run of every fuzz target
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

lint: build ## vet, gofmt and promtool on a live /metrics scrape
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd internal)" || (gofmt -l cmd internal; exit 1)

SOAK ?= 10m
BENCH_DIR ?= data/bench
bench: models build tools ## measure replay speed, latency, accuracy, memory (SOAK=10m soak) and uplink rates into $(BENCH_DIR)/report.md
	$(GO) build -tags matprofile -o bin/edge-agent-matprofile ./cmd/edge-agent
	$(GO) run ./cmd/edge-benchreport --out $(BENCH_DIR) --soak $(SOAK)

package-deps: ## install the packaging tools (dpkg-dev, lintian, mmdebstrap, qemu-user-static, the arm64 cross compiler)
	@bash scripts/deps.sh $(PACKAGE_TOOLS)

deb: deps package-deps models ## build $(DIST)/edge-agent_<version>_amd64.deb and _arm64.deb (arm64 cross-compiled)
	@set -e; for arch in $(DEB_ARCHS); do \
	  bash scripts/package/deb.sh --arch $$arch --version $(VERSION) --models $(MODELS) --dist $(DIST) --work $(PKGWORK); \
	done

test-package: deb tools ## lintian on both packages; install, upgrade, remove, purge in a throw-away root; the arm64 binary under qemu against amd64
	bash scripts/package/test-lintian.sh --version $(VERSION) --dist $(DIST) --work $(PKGWORK)
	bash scripts/package/test-install.sh --version $(VERSION) --dist $(DIST) --work $(PKGWORK) --models $(MODELS)
	bash scripts/package/test-arm64.sh --version $(VERSION) --dist $(DIST) --work $(PKGWORK)

clean: ## remove build outputs and generated data
	rm -rf bin data $(DIST)
