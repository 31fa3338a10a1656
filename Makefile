# lookout's two set-up commands (see README.md): `make demo` and `make test`.
# One cached build serves both: a persistent target dir outside the clone, our crate lightly
# optimised and every dependency fully optimised (see Cargo.toml), so the model is usable in
# tests and the demo without a second (release) build of mistral.rs.

export CARGO_TARGET_DIR ?= $(HOME)/.cache/lookout-target
LOOKOUT := $(CARGO_TARGET_DIR)/debug/lookout
CASE ?= demo

.PHONY: demo build setup test test-tools lint bench model

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

## The whole test suite, with everything it needs set up first (tests/common/mod.rs says what
## each test needs; with LOOKOUT_REQUIRE_DATA=1, as in .ci/run, a missing one fails its test):
## tmux and python3-venv (test-tools), the model and the ATT&CK catalog (setup), and the
## training venv for tests/train.rs (scripts/setup-test.sh venv: ~3 GB from PyPI the first time)
## llama.cpp's llama-server for tests/inference.rs (scripts/setup-test.sh llama: built from
## the PyPI llama-cpp-python sdist the first time) and PostgreSQL for tests/store_postgres.rs
## (scripts/setup-test.sh postgres: Debian's package when root) and OpenSearch 2.19 for
## tests/index_opensearch.rs (scripts/setup-test.sh opensearch: Java 17 and Maven from Debian,
## the server's jars from Maven Central the first time), all set up while the tests build;
## kept afterwards.
test: export LOOKOUT_TRAIN_VENV ?= $(or $(XDG_DATA_HOME),$(HOME)/.local/share)/lookout/train-venv
test: test-tools setup
	@log="$$(mktemp)"; llog="$$(mktemp)"; \
	bash scripts/setup-test.sh venv >"$$log" 2>&1 & venv_pid=$$!; \
	bash scripts/setup-test.sh llama >"$$llog" 2>&1 & llama_pid=$$!; \
	plog="$$(mktemp)"; bash scripts/setup-test.sh postgres >"$$plog" 2>&1 & pg_pid=$$!; \
	olog="$$(mktemp)"; bash scripts/setup-test.sh opensearch >"$$olog" 2>&1 & os_pid=$$!; \
	cargo build --tests --bins; built=$$?; \
	wait $$venv_pid; venv=$$?; \
	wait $$llama_pid; llama=$$?; \
	wait $$pg_pid; pg=$$?; \
	wait $$os_pid; os=$$?; \
	if [ $$venv -eq 0 ]; then tail -n 2 "$$log" >&2; else cat "$$log" >&2; fi; rm -f "$$log"; \
	if [ $$llama -eq 0 ]; then tail -n 1 "$$llog" >&2; else cat "$$llog" >&2; fi; rm -f "$$llog"; \
	if [ $$pg -eq 0 ]; then tail -n 1 "$$plog" >&2; else cat "$$plog" >&2; fi; rm -f "$$plog"; \
	if [ $$os -eq 0 ]; then tail -n 1 "$$olog" >&2; else cat "$$olog" >&2; fi; rm -f "$$olog"; \
	[ $$built -eq 0 ] && [ $$venv -eq 0 ] && [ $$llama -eq 0 ] && [ $$pg -eq 0 ] && [ $$os -eq 0 ]
	@if command -v cargo-nextest >/dev/null 2>&1; then \
		cargo nextest run --no-fail-fast; \
	else \
		cargo test --no-fail-fast; \
	fi

## tmux (the workbench's end-to-end tests) and python3's venv module: apt-get when root.
test-tools:
	@bash scripts/setup-test.sh tools

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

## Rebuilds the tuned default model from scratch: synthetic sessions from Atomic Red Team, a
## LoRA adapter trained on this CPU (the training venv, ~3 GB, is set up on first use), written
## to models/lookout-tuned/ and merged by setup; prints its wall time (scripts/make-model.sh).
model: build setup
	bash scripts/make-model.sh

bench: build
	$(LOOKOUT) bench ingest
