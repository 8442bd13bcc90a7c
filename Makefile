# smallnets-edu: `make lab` to learn, `make test` to check everything.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_ARGS ?=
# Tests always run at the smoke budget: seconds per notebook.
TEST_ENV := SMALLNETS_BUDGET=smoke PYTHONHASHSEED=0 OMP_NUM_THREADS=1
# Two workers, one thread each; nbval needs each notebook's cells kept on one worker (loadscope).
PYTEST_PAR := -n 2 --dist loadscope

.PHONY: install lab test lint unit nbval notebooks reference pair bench book student clean help

help:
	@echo "make lab        install (first time) and open the course in JupyterLab"
	@echo "make test       install (first time) and run every test"
	@echo "make notebooks  re-execute all notebooks at the smoke budget and apply the output policy"
	@echo "make reference  run every notebook at the laptop budget and store its results and times"
	@echo "make pair       rewrite notebooks/ from lessons/ (keeping outputs)"
	@echo "make bench      measure latency and training speed of every model (writes benchmarks/results/)"

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "smallnets-edu needs Python 3.10 or newer, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# JupyterLab refuses to start as root unless told to; a classroom container or cloud notebook often is
# root, so say so and pass the flag there.
ROOT_ARGS := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

lab: install
	@echo "Opening the course: the URL with its token is printed below. Start with 00_welcome.ipynb."
	@$(if $(ROOT_ARGS),echo "Running as root (a container?): starting JupyterLab with --allow-root.")
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(ROOT_ARGS) $(LAB_ARGS)

lint: install
	$(BIN)/ruff check smallnets_edu tests lessons benchmarks
	$(BIN)/ruff format --check smallnets_edu tests benchmarks

unit: install
	$(TEST_ENV) $(BIN)/python -m pytest tests -q

nbval: install
	$(TEST_ENV) $(BIN)/python -m pytest -q --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

test: install lint
	$(TEST_ENV) $(BIN)/python -m pytest -q $(PYTEST_PAR) tests notebooks --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg

notebooks: install
	$(TEST_ENV) $(BIN)/python -m smallnets_edu notebooks --execute

# The stored results: every notebook run at the laptop budget on two threads, outputs kept with their
# provenance, each lesson's time recorded; where a CUDA GPU is present, the gpu budget's times too.
reference: install
	SMALLNETS_BUDGET=laptop OMP_NUM_THREADS=2 $(BIN)/python -m smallnets_edu notebooks --reference
	@if $(BIN)/python -c "import torch, sys; sys.exit(not torch.cuda.is_available())"; then \
		SMALLNETS_BUDGET=gpu $(BIN)/python -m smallnets_edu notebooks --execute; fi

pair: install
	$(BIN)/python -m smallnets_edu notebooks

# Results go to benchmarks/results/ (JSON) and are printed as markdown tables; see the README.
bench: install
	$(BIN)/python benchmarks/bench_widgets.py
	$(BIN)/python benchmarks/bench_models.py
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_budgets.py
	$(BIN)/python benchmarks/bench_runtimes.py

# The course website, offline, from the outputs stored in the notebooks: book/_build/html/index.html
book: install
	$(BIN)/python book/build.py

# Copies of the notebooks for learners (solution cells removed, checkers kept, outputs cleared): student/
student: install
	$(BIN)/python -m smallnets_edu.student_copies student

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
