"""Install PyTorch into the running interpreter without surprises.

* torch already importable: nothing to do.
* an NVIDIA GPU (``nvidia-smi`` answers): the default build, which on Linux
  is the CUDA one.
* no NVIDIA GPU on Linux: a CPU-only build. First a ``+cpu`` wheel that pip can
  already find (its ``find-links`` folders), then PyTorch's CPU index, and only
  then the default, so no machine without a GPU downloads gigabytes of CUDA.
* macOS and Windows: the default build is already CPU (or MPS) only.
"""

from __future__ import annotations

import glob
import os
import platform
import shutil
import subprocess
import sys

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
REQUIREMENT = "torch>=2.2"


def pip(*args: str) -> bool:
    cmd = [sys.executable, "-m", "pip", "install", "-q", *args]
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd) == 0


def has_nvidia_gpu() -> bool:
    exe = shutil.which("nvidia-smi")
    if not exe:
        return False
    try:
        return subprocess.run([exe, "-L"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_links() -> list[str]:
    """Folders pip searches through its find-links setting."""
    value = os.environ.get("PIP_FIND_LINKS", "")
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "config", "list"],
                             capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    for line in out.splitlines():
        if "find-links" in line and "=" in line:
            value += " " + line.split("=", 1)[1].strip().strip("'\"")
    return [p.removeprefix("file://") for p in value.split() if os.path.isdir(p.removeprefix("file://"))]


def local_cpu_wheel() -> str | None:
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    arch = platform.machine()
    for folder in find_links():
        wheels = sorted(glob.glob(os.path.join(folder, f"torch-*+cpu-{tag}-{tag}-*{arch}*.whl")))
        if wheels:
            return wheels[-1]
    return None


def main() -> int:
    try:
        import torch  # noqa: F401

        print(f"torch {torch.__version__} is already installed.")
        return 0
    except ImportError:
        pass
    if has_nvidia_gpu() or platform.system() != "Linux":
        return 0 if pip(REQUIREMENT) else 1
    wheel = local_cpu_wheel()
    if wheel and pip(wheel):
        return 0
    if pip(REQUIREMENT, "--index-url", CPU_INDEX, "--extra-index-url", "https://pypi.org/simple"):
        return 0
    print("No CPU-only torch build was found; installing the default build.", flush=True)
    return 0 if pip(REQUIREMENT) else 1


if __name__ == "__main__":
    sys.exit(main())
