"""GUI tests: offscreen Qt, settings in a temporary INI file, a task runner that is shut down."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402


@pytest.fixture
def settings(tmp_path):
    from app.settings import Settings

    return Settings(QSettings(str(tmp_path / "cadenza.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def runner(qapp):
    from app.tasks import TaskRunner

    r = TaskRunner()
    yield r
    r.shutdown()


@pytest.fixture
def doc(qapp):
    from app.document import Document

    return Document()
