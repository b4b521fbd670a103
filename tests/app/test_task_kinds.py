"""Task kinds are named once (app.tasks.TaskKind): features that must not cancel each other have their own."""

import ast
from pathlib import Path

from app.tasks import TaskKind
from generation_window import TIMEOUT_MS, gen_window, generate  # noqa: F401 (fixture)
from pulse import pulse_server  # noqa: F401 (the session fixture)

APP = Path(__file__).parents[2] / "app"


def kind_literals():
    """(file:line, text) of every string given as a task kind in app/: runner calls and *_KIND constants."""
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            found = []
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("start", "cancel", "is_running") and node.args:
                found.append(node.args[0])
            if isinstance(node, (ast.Call, ast.FunctionDef)):
                keywords = node.keywords if isinstance(node, ast.Call) else []
                found += [k.value for k in keywords if k.arg == "kind"]
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id.endswith("_KIND")
                                                    for t in node.targets):
                found.append(node.value)
            for value in found:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    yield f"{path.relative_to(APP.parent)}:{value.lineno}", value.value


def test_every_kind_used_in_the_app_is_a_task_kind():
    literals = list(kind_literals())
    assert [(where, text) for where, text in literals if text not in set(TaskKind)] == []
    assert len(TaskKind.__members__) == len(TaskKind)  # no two names for one kind (an alias)


def test_a_variation_and_the_score_export_at_the_same_time(gen_window, qtbot, tmp_path):
    # two features, two task kinds: neither export cancels the other, and both say so
    gallery, files = gen_window.generation_ui.gallery, gen_window.files
    generate(gen_window, qtbot)
    card = gallery.cards()[0]
    assert gallery.insert(card, "playhead")
    messages = []
    gallery.status_message.connect(messages.append)
    files.status_message.connect(messages.append)
    gallery.ask_path = lambda suggestion, ext: str(tmp_path / suggestion)
    variation_task = gallery.export(card, ".wav")
    score_task = files.export(tmp_path / "song.wav")
    assert not variation_task.is_cancelled and not score_task.is_cancelled
    qtbot.waitUntil(lambda: sum(m.startswith("Exported") for m in messages) == 2, timeout=TIMEOUT_MS)
    assert "Exported Variation-markov-1.wav." in messages and "Exported song.wav." in messages
    for name in ("Variation-markov-1.wav", "song.wav"):
        assert (tmp_path / name).read_bytes()[:4] == b"RIFF"
