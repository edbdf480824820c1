# Glossa: the two commands a new user runs are `make demo` and `make test`.
SWIFT ?= swift
GLOSSA := .build/release/glossa
# Glossa's SIMD kernels need AVX2 + FMA to be fast; the Swift compiler targets baseline
# x86-64 (SSE2) unless told otherwise. Enabled only where this CPU has both.
ifeq ($(shell uname -m),x86_64)
ifneq ($(shell grep -m1 -o -w avx2 /proc/cpuinfo)$(shell grep -m1 -o -w fma /proc/cpuinfo),)
CPU_FLAGS := -Xswiftc -target-cpu -Xswiftc haswell
endif
endif
SWIFT_BUILD_FLAGS := $(CPU_FLAGS)

.PHONY: setup build test demo bench fixtures clean

## setup: install missing Debian packages (quiet when everything is present)
setup:
	@scripts/setup.sh

## build: release build of the library and the `glossa` CLI
build: setup
	$(SWIFT) build -c release $(SWIFT_BUILD_FLAGS)

## test: install what is missing, build, and run every test
test: setup
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
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
