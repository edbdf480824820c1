# Glossa: the two commands a new user runs are `make demo` and `make test`.
SWIFT ?= swift
GLOSSA := .build/release/glossa

.PHONY: setup build test demo bench fixtures clean

## setup: install missing Debian packages (quiet when everything is present)
setup:
	@scripts/setup.sh

## build: release build of the library and the `glossa` CLI
build: setup
	$(SWIFT) build -c release

## test: install what is missing, build, and run every test
test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## demo: the main job on shipped defaults (for now: the BLAS benchmark)
demo: build
	$(GLOSSA) --version
	$(GLOSSA) bench blas --quick

## bench: full benchmarks, ratios against this machine's measured peak
bench: build
	$(GLOSSA) bench blas

## fixtures: regenerate the committed reference fixtures (needs Python with torch, safetensors)
fixtures:
	python3 scripts/make_tensor_fixtures.py
	GLOSSA_REGENERATE_FIXTURES=1 $(SWIFT) test --filter SafetensorsTests
	python3 scripts/check_glossa_safetensors.py

clean:
	rm -rf .build
