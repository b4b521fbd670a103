"""Opening a file cleans what killed saves left in its folder: our hidden temp files only."""

import os
import time

from app.core.project import save_project
from app.core.score import Note, Score, Track
from app.services.files import open_file


def test_opening_a_project_removes_stale_temps_of_ours_and_nothing_else(tmp_path):
    song = tmp_path / "song.cadenza"
    save_project(Score(tracks=(Track("p", 0, False, (Note(0, 60, 480),)),)), song, {})
    stale = tmp_path / ".song.cadenza.abcd1234.tmp"  # a save killed mid-write leaves this
    stale.write_bytes(b"x" * 1000)
    theirs = tmp_path / ".notes.txt.abcd1234.tmp"  # not a kind of file Cadenza writes
    theirs.write_bytes(b"y")
    old = time.time() - 60
    for p in (stale, theirs):
        os.utime(p, (old, old))
    opened = open_file(song)
    assert opened.score.note_count == 1
    assert not stale.exists() and theirs.exists() and song.exists()
