# Two commands do all the set-up on a fresh machine:
#   make run    set up (first time only) and start Cadenza
#   make test   set up (first time only) and run the test suite
# Both are idempotent: the second run only checks and starts.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.cadenza-installed
PACKAGE_STAMP := $(VENV)/.cadenza-packaging

.PHONY: run test setup system bench clean package package-check

run: setup
	$(PY) -m app $(ARGS)

# tests/app/pulse.py, loaded as a plugin, runs a private PulseAudio daemon with a
# null sink for the session (playback is tested for real), and stops it at the end.
test: setup
	QT_QPA_PLATFORM=offscreen PYTHONPATH=tests/app $(PY) -m pytest -p pulse $(PYTEST_ARGS)

# every benchmark in one run, one JSON object (ARGS=--quick for the short run)
bench: setup
	$(PY) benchmarks/run_all.py $(ARGS)

# the installable bundle (slow: minutes): dist/Cadenza/ and dist/cadenza-VERSION-linux-x86_64.tar.gz,
# with packaging/install.sh and uninstall.sh; PyInstaller comes from the optional "package" group
package: setup $(PACKAGE_STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/cadenza.spec
	$(PY) packaging/make_tarball.py

# builds the bundle, runs it offscreen (--version, info and render of a seed) and prints its size and start-up times
package-check: package
	$(PY) packaging/check_bundle.py

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

$(PACKAGE_STAMP): pyproject.toml | $(STAMP)
	$(PY) -m pip install -q -e '.[test,package]'
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache build/pyinstaller dist
