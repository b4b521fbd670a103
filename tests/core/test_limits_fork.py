"""A bounded read never hangs because another thread was importing when the reader's child was forked.

A fork copies every module lock as it was, owners included: if a thread is half-way through importing a
module when the child is forked, the child waits forever on that import. call_with_time_limit therefore
imports what the child needs first, in the parent, which waits for the other thread's import to finish.
"""

import sys
import textwrap
import threading
import time
from pathlib import Path

from app.core.limits import call_with_time_limit


def test_a_read_during_another_threads_import_finishes(tmp_path, monkeypatch):
    (tmp_path / "slow_reader_dep.py").write_text(textwrap.dedent("""
        import time
        time.sleep(1.5)  # an import that takes a while (music21 takes seconds)
        VALUE = 42
    """))
    (tmp_path / "slow_reader.py").write_text(textwrap.dedent("""
        def read(path):
            import slow_reader_dep
            return slow_reader_dep.VALUE
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import slow_reader

    importer = threading.Thread(target=__import__, args=("slow_reader_dep",))
    importer.start()
    time.sleep(0.3)  # the other thread now holds the module's import lock
    started = time.monotonic()
    value = call_with_time_limit(slow_reader.read, (str(tmp_path),), Path("x.mid"), 5, wall_seconds=8,
                                 modules=("slow_reader_dep",))
    importer.join()
    assert value == 42 and time.monotonic() - started < 4  # waited for the import, not for the wall clock
    sys.modules.pop("slow_reader_dep", None)
    sys.modules.pop("slow_reader", None)
