# Two entry points on a fresh machine: `make book` and `make test`. Each creates .venv and installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MATHJAX := _assets/mathjax/tex-svg.js
TEMPLATES := $(sort $(wildcard notebooks/[0-9]*.ipynb))
# pages built from the executed chapters (the replication report reads their scorecards): executed after them
PAGES := notebooks/report.ipynb notebooks/reproducibility.ipynb
PRESET ?= book
# `make book` renders from the committed store and trains nothing; `make book TRAIN=True` trains what is missing
TRAIN ?= False
# glibc: keep freed activation buffers (~1.6x faster steps measured here; grok_core.sweep sets this for its workers too)
export MALLOC_MMAP_THRESHOLD_ := 1073741824
export MALLOC_TRIM_THRESHOLD_ := 4294967296
export MALLOC_TOP_PAD_ := 268435456

.PHONY: book test notebooks html bench clean

book: notebooks html

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[book,test,dask]'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (grokking-norm)" >/dev/null
	touch $@

# MathJax served from the book itself, so math renders offline; fetched from the npm registry.
$(MATHJAX):
	rm -rf _assets/mathjax _assets/package && mkdir -p _assets
	cd _assets && npm pack --silent mathjax@3.2.2 >/dev/null && tar -xzf mathjax-3.2.2.tgz \
	  && mv package/es5 mathjax && rm -rf package mathjax-3.2.2.tgz
	# keep what the pages load: the combined tex-svg.js, the TeX extensions it autoloads, the menu and its
	# accessibility options (24 MB -> ~3.5 MB; the menu's speech output, which needs sre/, is left out)
	cd _assets/mathjax && find . -mindepth 1 -maxdepth 1 ! -name tex-svg.js ! -name input ! -name ui ! -name a11y \
	  -exec rm -rf {} + && find input -mindepth 1 -maxdepth 1 ! -name tex -exec rm -rf {} + \
	  && find input/tex -mindepth 1 -maxdepth 1 ! -name extensions -exec rm -rf {} +

# Execute each template into book/ with the chosen preset; runs found in results/ are not retrained.
notebooks: $(STAMP)
	@for nb in $(TEMPLATES); do \
	  echo "papermill $$nb -> book/$$(basename $$nb) (preset $(PRESET))"; \
	  $(VENV)/bin/papermill -k python3 --no-progress-bar --cwd book $$nb book/$$(basename $$nb) -p preset $(PRESET) -p train_missing $(TRAIN) \
	    || exit 1; \
	done
	@for nb in $(PAGES); do \
	  echo "papermill $$nb -> book/$$(basename $$nb)"; \
	  $(VENV)/bin/papermill -k python3 --no-progress-bar --cwd book $$nb book/$$(basename $$nb) || exit 1; \
	done

html: $(STAMP) $(MATHJAX)
	$(VENV)/bin/jupyter-book build . --all -W --keep-going

# the book is built first, so that the browser check (tests/test_browser.py) reads this build
test: $(STAMP) $(MATHJAX)
	$(VENV)/bin/jupyter-book build . --all -W --keep-going
	$(VENV)/bin/pytest -q -n 2 --dist loadfile --no-loadscope-reorder --nbval --nbval-current-env --nbval-sanitize-with nbval.cfg tests book

bench: $(STAMP)
	$(PY) benchmarks/bench_trainer.py

clean:
	rm -rf _build
