"""ABC text -> Score: :func:`read_abc` (a file) and :func:`read_abc_text` (a string).

Reading goes through music21's ABC tokenizer (``music21_part.py`` adds what its
translator loses) and ``music21_bridge.stream_to_score``: header fields
(``T: M: L: Q: K:``), chords, ties, tuplets, grace notes, repeats and 1st/2nd
endings, macros, and several voices (``V:``, one Track each) are read. One
tune is picked from the file by its ``X:`` number (``tunes.py``; fields of the
file header before the first ``X:`` apply to every tune), and its text is first
made ready for music21 (``prepare.py``: lines that hold no music left out,
fields in one form, macros expanded, repeats, endings and parts (``P:``)
played out as ABC 2.1 and abc2midi play them, inline fields, decorations, ``x``/``Z`` rests,
``%%MIDI program``/``channel``). An accidental holds until the bar line
(ABC 2.1), which music21 alone does not do.

Every failure is a :class:`FileFormatError` with one sentence in a musician's
words, naming the line where reading stopped when it can be found (never
Python's own words, such as "could not convert string to float"). music21 is
imported only when a tune is read, so the editor can import the ABC package
without it.
"""

from __future__ import annotations

from pathlib import Path

from app.core.abc.header import title_of
from app.core.abc.prepare import UnreadableConstruct, Voice, prepare
from app.core.abc.tunes import Line, read_text, split_tunes
from app.core.errors import FileFormatError
from app.core.score import DEFAULT_PPQ, Score


def read_abc(path: str | Path, tune: int | None = None, ppq: int = DEFAULT_PPQ) -> Score:
    """Read the tune numbered ``tune`` (default: the first) of an ABC file."""
    return read_abc_text(read_text(path), tune=tune, name=str(path), ppq=ppq, voice_names=True)


def read_abc_text(text: str, tune: int | None = None, name: str = "<text>",
                  ppq: int = DEFAULT_PPQ, voice_names: bool = False) -> Score:
    """Read ABC from a string; errors name ``name`` as the file.

    With ``voice_names`` every track is named (see :func:`track_name`), as a file's tracks are;
    without, a track is named only where the text names it (the editor keeps the document's names
    where the text has none).
    """
    tunes = split_tunes(text)
    if not tunes:
        raise FileFormatError(name, "it holds no ABC tune")
    chosen = tunes[0] if tune is None else next((t for t in tunes if t.number == tune), None)
    if chosen is None:
        raise FileFormatError(name, f"there is no tune with X: {tune}")
    try:
        score = _build(chosen.text_lines, ppq, voice_names)
    except FileFormatError:
        raise
    except UnreadableConstruct as exc:
        raise FileFormatError(name, f"line {exc.line}: {exc.message}") from None
    except Exception as exc:  # music21 raises many kinds; all become one sentence
        raise FileFormatError(name, _locate(chosen.text_lines, exc, ppq)) from None
    return score  # a tune of rests only is an empty score (what Cadenza writes for one), not an error


def read_abc_tunes(path: str | Path, ppq: int = DEFAULT_PPQ) -> list[tuple[int, Score | str]]:
    """Every tune of an ABC file in file order, as ``(X: number, Score)``, or ``(X: number, sentence)``
    for a tune that can't be read (the others are still read): for collections of many tunes."""
    name, out = str(path), []
    for tune in split_tunes(read_text(path)):
        try:
            out.append((tune.number, _build(tune.text_lines, ppq, True)))
        except FileFormatError as exc:
            out.append((tune.number, str(exc)))
        except UnreadableConstruct as exc:
            out.append((tune.number, str(FileFormatError(name, f"tune {tune.number}, line {exc.line}: {exc.message}"))))
        except Exception as exc:  # music21 raises many kinds; all become one sentence
            out.append((tune.number, str(FileFormatError(name, f"tune {tune.number}: "
                                                              f"{_locate(tune.text_lines, exc, ppq)}"))))
    return out


def _build(lines: list[Line], ppq: int, voice_names: bool = False) -> Score:
    """Prepare the tune's text, make one music21 Part per voice, and read them."""
    from app.core.music21_bridge import quiet_music21

    with quiet_music21():
        return _build_loudly(lines, ppq, voice_names)


def _build_loudly(lines: list[Line], ppq: int, voice_names: bool) -> Score:
    from music21 import metadata, stream

    from app.core.abc.music21_part import voice_part
    from app.core.music21_bridge import stream_to_score

    header, voices = prepare(lines)
    result = stream.Score()
    result.insert(0, metadata.Metadata(title=title_of(header)))
    if not voices:  # a header alone: an empty score, with the header's key, meter and tempo
        result.insert(0, voice_part("\n".join(header) + "\nz|\n"))  # music21 sets the key on a measure
    named = len(voices) > 1
    for voice in voices:
        part = voice_part("\n".join(header + voice.lines) + "\n")
        part.partName = track_name(voice) if voice_names else voice.name or (voice.vid if named else "") or None
        _add_instrument(part, voice)
        result.insert(0, part)
    return stream_to_score(result, ppq=ppq)


def track_name(voice: Voice) -> str:
    """The track's name: the voice's name, else "Voice 1" for V:1 (a tune without V: lines is voice 1),
    else its V: id (V:Tenor), the same whether the tune has one voice or several."""
    return voice.name or (f"Voice {voice.vid}" if voice.vid.isdigit() else voice.vid) or "Voice 1"


def _add_instrument(part, voice: Voice) -> None:
    from music21 import instrument, stream

    inst = instrument.Instrument()
    inst.midiProgram = voice.program or 0
    if voice.drum:
        inst.midiChannel = 9
    first = part.getElementsByClass(stream.Measure).first()
    (first or part).insert(0, inst)


def _describe(exc: Exception, text: str) -> str:
    """What went wrong on the line ``text``, in words a musician knows (never Python's)."""
    if isinstance(exc, ZeroDivisionError):
        return "a note length or an L: or M: field divides by zero"
    if isinstance(exc, RecursionError):
        return "it nests too deeply to be read"
    shown = " ".join(text.split())
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f'Cadenza cannot read "{shown}" as ABC music (check its notes, chords and bar lines)'


def _locate(lines: list[Line], exc: Exception, ppq: int) -> str:
    """The problem, prefixed with the first line at which parsing fails (bisected)."""
    def fails(count: int) -> bool:
        try:
            _build(lines[:count], ppq)
        except Exception:
            return True
        return False

    if not lines:
        return _describe(exc, "")
    low, high = 0, len(lines)
    while high - low > 1:
        middle = (low + high) // 2
        if fails(middle):
            high = middle
        else:
            low = middle
    number, text = lines[high - 1]
    return f"line {number}: {_describe(exc, text)}"
