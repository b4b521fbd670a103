# Two commands do all the set-up on a fresh machine:
#   make run    set up (first time only) and start Cadenza
#   make test   set up (first time only) and run the test suite
# Both are idempotent: the second run only checks and starts.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.cadenza-installed

.PHONY: run test setup system bench clean

run: setup
	$(PY) -m app $(ARGS)

# tests/app/pulse.py, loaded as a plugin, runs a private PulseAudio daemon with a
# null sink for the session (playback is tested for real), and stops it at the end.
test: setup
	QT_QPA_PLATFORM=offscreen PYTHONPATH=tests/app $(PY) -m pytest -p pulse $(PYTEST_ARGS)

# every benchmark in one run, one JSON object (ARGS=--quick for the short run)
bench: setup
	$(PY) benchmarks/run_all.py $(ARGS)

setup: system $(STAMP)

system:
	@sh tools/system_deps.sh

$(PY):
	$(PYTHON) tools/check_python.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# torch first, so that the project's own install finds it already satisfied
# (and never pulls CUDA packages on a machine without an NVIDIA GPU).
$(STAMP): pyproject.toml tools/install_torch.py | $(PY)
	$(PY) tools/install_torch.py
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache
