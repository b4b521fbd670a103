"""The Qt binding itself: a build that leaks references to None would abort the app after a few thousand calls.

PySide6 6.12.0's abi3 wheels do this under CPython 3.11 (pyproject.toml
excludes that version); this test fails clearly instead of a random
"deallocating None" abort somewhere else in the suite.
"""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(bool)


def test_void_calls_and_emits_keep_none_and_true_alive():
    obj = _Emitter()
    obj.fired.connect(lambda _: None)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        obj.setObjectName("probe")
        obj.fired.emit(True)
    assert sys.getrefcount(None) >= none_before - 50
    assert sys.getrefcount(True) >= true_before - 50


def test_the_x11_platform_plugin_finds_every_library_it_needs():
    """``make run`` on a Linux desktop loads Qt's xcb plugin; a missing system library stops the app at start.

    PySide6's wheels bring Qt but not the X11 libraries (libxcb-cursor0,
    libxcb-icccm4, libxcb-keysyms1, libxkbcommon-x11-0, ...): tools/system_deps.sh
    installs them, and this checks that nothing the plugin links is missing.
    """
    import shutil
    import subprocess
    from pathlib import Path

    import PySide6

    qt = Path(PySide6.__file__).parent / "Qt"
    plugin = qt / "plugins" / "platforms" / "libqxcb.so"
    assert plugin.is_file() and shutil.which("ldd")
    missing = set()
    for library in (plugin, *sorted((qt / "lib").glob("libQt6XcbQpa.so*"))):
        out = subprocess.run(["ldd", str(library)], capture_output=True, text=True, check=True).stdout
        missing |= {line.split("=>")[0].strip() for line in out.splitlines() if "not found" in line}
    assert not missing, f"install the packages that provide {sorted(missing)} (tools/system_deps.sh)"
