"""Editing operations of the piano roll on the active track's selection.

Each operation that changes notes pushes exactly one ``NotesCommand`` (copy
changes nothing and pushes none). Refusals say why on ``status_message``
instead of changing anything. The clipboard is this module's list, shared by
every piano roll of the process.
"""

from __future__ import annotations

from app.commands import NotesCommand
from app.core import edits
from app.core.score import Note

CLIPBOARD: list[Note] = []


def _plural(count: int, word: str = "note") -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


class EditOps:
    """Mixed into :class:`PianoRoll`: needs ``doc``, ``grid``, ``view``, ``selected_notes``,
    ``playhead`` and the ``status_message`` signal."""

    def _push(self, old: list[Note], new: list[Note], text: str) -> None:
        if new:
            self.view.note_scene.ensure_width(max(n.end for n in new))
        self.doc.undo_stack.push(NotesCommand(self.doc, self.doc.active_track, old, new, text))

    def _selection(self, verb: str) -> list[Note]:
        notes = self.selected_notes()
        if not notes:
            self.status_message.emit(f"Nothing selected to {verb}.")
        return notes

    def copy(self) -> None:
        """Put the selected notes on the clipboard."""
        notes = self._selection("copy")
        if notes:
            CLIPBOARD[:] = notes
            self.status_message.emit(f"Copied {_plural(len(notes))}.")

    def cut(self) -> None:
        """Copy the selected notes, then delete them (one command)."""
        notes = self._selection("cut")
        if notes:
            CLIPBOARD[:] = notes
            self._push(notes, [], f"Cut {_plural(len(notes))}")

    def paste(self) -> None:
        """Paste the clipboard into the active track at the playhead: the first note keeps its offset from
        the nearest grid line, so a played (or humanized) phrase keeps its feel."""
        if not CLIPBOARD:
            self.status_message.emit("Nothing to paste: copy some notes first.")
            return
        if not self.doc.score.tracks:
            return
        first, step = min(n.start for n in CLIPBOARD), self.grid.edit_step()
        offset = first - round(first / step) * step
        new = edits.paste_notes(CLIPBOARD, max(0, self.playhead() + offset))
        self._push([], new, f"Paste {_plural(len(new))}")

    def duplicate(self) -> None:
        """A copy of the selection right after it (its span rounded up to the grid)."""
        notes = self._selection("duplicate")
        if notes:
            self._push([], edits.duplicate_notes(notes, self.grid.edit_step()), f"Duplicate {_plural(len(notes))}")

    def delete_selection(self) -> None:
        notes = self._selection("delete")
        if notes:
            self._push(notes, [], f"Delete {_plural(len(notes))}")

    def transpose(self, semitones: int) -> None:
        """Move the selection up (positive) or down by ``semitones``; refused past 0-127."""
        notes = self._selection("transpose")
        if not notes or not semitones:
            return
        new = edits.transpose_notes(notes, semitones)
        if new is None:
            self.status_message.emit("Can't transpose: a note would leave the MIDI range.")
            return
        self._push(notes, new, f"Transpose {semitones:+d}")

    def move_by_grid(self, steps: int) -> None:
        """Move the selection later (positive) or earlier by ``steps`` grid steps, stopping at the start."""
        notes = self._selection("move")
        if not notes or not steps:
            return
        new = edits.shift_notes(notes, steps * self.grid.edit_step())
        if new == notes:
            self.status_message.emit("Can't move: the notes are already at the start.")
            return
        self._push(notes, new, "Move notes" if len(notes) > 1 else "Move note")

    def quantize(self) -> None:
        """Snap starts and ends to the grid: the selection, or the whole active track if none."""
        notes = self.selected_notes()
        if not notes and self.doc.score.tracks:
            notes = list(self.doc.score.tracks[self.doc.active_track].notes)
        if not notes:
            self.status_message.emit("Nothing to quantize.")
            return
        new = edits.quantize_notes(notes, self.grid.edit_step())
        if new == notes:
            self.status_message.emit("Already on the grid.")
            return
        self._push(notes, new, f"Quantize {_plural(len(notes))}")

    def set_selection_velocity(self, velocity: int) -> None:
        """Give every selected note ``velocity`` (kept in 1-127); new notes use it too."""
        velocity = max(1, min(127, int(velocity)))
        self.view.last_velocity = velocity
        notes = self._selection("change")
        new = edits.set_velocity(notes, velocity)
        if notes and new != notes:
            self._push(notes, new, f"Velocity {velocity}")
