"""quiet_import from several threads at once leaves standard output as it found it."""

import sys
import threading
import time

from app.core.quiet_import import quiet_import


def test_two_threads_importing_at_once_leave_stdout_alone_and_silence_both(tmp_path, monkeypatch, capsys):
    for name in ("noisy_one", "noisy_two"):
        (tmp_path / f"{name}.py").write_text(f"import time\nprint('{name} says hello')\ntime.sleep(0.2)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = sys.stdout
    threads = [threading.Thread(target=quiet_import, args=(name,)) for name in ("noisy_one", "noisy_two")]
    threads[0].start()
    time.sleep(0.05)  # the second starts while the first is still importing (with stdout swapped)
    threads[1].start()
    for thread in threads:
        thread.join()
    assert sys.stdout is before  # redirect_stdout unlocked could leave it pointing at a discarded buffer
    assert "says hello" not in capsys.readouterr().out
    assert quiet_import("noisy_one") is sys.modules["noisy_one"]
    for name in ("noisy_one", "noisy_two"):
        monkeypatch.delitem(sys.modules, name)
