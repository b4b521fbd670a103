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
