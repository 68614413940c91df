# Every target documents itself: `make help`.
UV ?= python3 -m uv
CARGO ?= cargo
.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

uv: ## Install uv (the workspace manager) if it is missing
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --root-user-action=ignore uv

install: uv ## Create .venv with every package and plugin, building the Rust scheduler
	$(UV) sync --all-packages

build: uv ## Rebuild the Rust extension after changing core_rs/
	$(UV) sync --all-packages --reinstall-package comfy-scheduler

demo: install ## Text-to-image embedded: generates a tiny random-weight SD1.5 checkpoint (no downloads), runs examples/workflows/txt2img.json, prints where the PNG went
	@mkdir -p workspace/models/checkpoints workspace/input && cp examples/input/* workspace/input/
	@test -f workspace/models/checkpoints/tiny_sd15.safetensors || \
	    $(UV) run python -m comfy_nodes_sd.tiny sd15 workspace/models/checkpoints/tiny_sd15.safetensors --seed 0
	$(UV) run comfyui --cwd workspace --workflows examples/workflows/txt2img.json examples/workflows/base_nodes.json > workspace/demo_results.jsonl; \
	status=$$?; $(UV) run python examples/print_outputs.py < workspace/demo_results.jsonl && exit $$status

test: install ## Every test: Rust unit tests, the .pyi stub check, the Python suite
	$(CARGO) test --manifest-path core_rs/Cargo.toml -p comfy-graph
	$(UV) run python -m mypy.stubtest comfy._scheduler
	$(UV) run pytest

bench: install ## Benchmarks: engine overhead, embedded client, HTTP and AMQP round trips (print tables; not tests; sd_speed.py needs a GPU)
	$(UV) run python benchmarks/engine_overhead.py
	$(UV) run python benchmarks/embedded_latency.py
	$(UV) run python benchmarks/http_roundtrip.py
	$(UV) run python benchmarks/amqp_throughput.py

client: install ## Regenerate the typed client packages/comfy-remote/comfy_api_client from openapi.yaml (no network)
	$(UV) run python packages/comfy-remote/scripts/generate_client.py

lint: install ## clippy and mypy
	$(CARGO) clippy --manifest-path core_rs/Cargo.toml --all-targets -- -D warnings
	$(UV) run mypy packages/comfy-api/comfy packages/comfy-core/comfy packages/comfy-core/comfy_execution packages/comfy-core/comfy_api packages/comfy-core/folder_paths.py packages/comfy-core/nodes.py packages/comfy-core/server.py packages/comfy-embedded/comfy packages/comfy-server/comfy packages/comfy-remote/comfy packages/comfy-amqp/comfy

.PHONY: help uv install build demo test bench client lint
