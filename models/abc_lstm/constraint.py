"""The whole-tune constraint the abc-lstm sampler follows, character by character.

A tune is ``X:1``, a title the model writes freely (letters, spaces,
apostrophes; at most 40 characters), a meter and a key the model chooses among
valid values (a trie over the candidate strings), ``L:`` by the ABC rule, and a
body under :class:`AbcBodyGrammar`. Fields given by the seed are forced
instead of chosen. ``allowed()`` is never empty until ``done``.
"""

from __future__ import annotations

from fractions import Fraction

from app.core.abc.header import default_unit, format_meter, format_unit, parse_meter, parse_unit
from app.core.errors import GenerationError

from models.abc_lstm.grammar import AbcBodyGrammar, clean_seed_body

METERS = ("4/4", "6/8", "3/4", "2/4", "9/8", "12/8", "2/2", "3/8")
KEYS = ("C", "G", "D", "A", "E", "F", "Bb", "Eb", "Am", "Em", "Bm", "F#m", "Dm", "Gm", "Cm",
        "Ador", "Edor", "Ddor", "Gdor", "Bdor", "Amix", "Dmix", "Gmix", "Emix")
TITLE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ '")
MAX_TITLE = 40


class TuneConstraint:
    """Phases: forced text, free title, choices (meter, key), then the body grammar."""

    def __init__(self, bars: int, meter: str | None = None, key: str | None = None,
                 title: str | None = None, seed_body: str = "", unit: str | None = None,
                 chars: int | None = None) -> None:
        # with ``chars``, the body stops after that many new characters (the bar is then completed)
        self.bars, self.seed_body, self.unit, self.chars = bars, seed_body, unit, chars
        self._body_start: int | None = None
        self.text = ""
        self.meter, self.key = meter, key
        self._queue: list = [("force", "X:1\nT:")]
        self._queue.append(("force", title.strip() + "\n") if title else ("title", None))
        self._queue += [("force", "M:"), ("force", meter + "\n") if meter else ("choose", "meter"),
                        ("unit", None), ("force", "K:"), ("force", key + "\n") if key else ("choose", "key"),
                        ("body", None)]
        self.body: AbcBodyGrammar | None = None
        self._seed_queue: list[str] = []
        self._phase = None
        self._advance()

    # -- phases -----------------------------------------------------------
    def _advance(self) -> None:
        while self._queue:
            kind, arg = self._queue.pop(0)
            if kind == "unit":
                self._queue.insert(0, ("force", f"L:{format_unit(self._unit())}\n"))
                continue
            if kind == "body":
                self._start_body()
                self._phase = ("body", None)
                return
            if kind == "choose":
                options = METERS if arg == "meter" else KEYS
                self._phase = ("choose", (arg, "", tuple(o + "\n" for o in options)))
            else:
                self._phase = (kind, arg)
            return

    def _start_body(self) -> None:
        """Body grammar for the seed's bars plus ``bars`` more; the seed itself is forced."""
        meter = parse_meter(self.meter or "4/4")
        unit = self._unit()
        try:
            cleaned, pickup, probe = fit_seed_body(self.seed_body, meter, unit)
        except ValueError as exc:
            raise GenerationError(f"The seed's tune body cannot be continued ({exc}).") from None
        try:
            if self.chars is None:
                self.body = AbcBodyGrammar(meter, unit, probe.bars_written + self.bars, pickup)
            else:  # a bar takes at least two chars; the model may end the tune after three new bars
                self.body = AbcBodyGrammar(meter, unit, probe.bars_written + max(3, self.chars), pickup,
                                           min_bars=probe.bars_written + 3)
        except ValueError:
            least = 2 if pickup else 3
            raise GenerationError(f"An ABC tune needs at least {least} bars{' after its pickup' if pickup else ''} "
                                  f"to be read back; ask for {least} or more bars.") from None
        self._seed_queue = list(cleaned)
        self._body_start = len(self.text) + len(cleaned)

    def _unit(self) -> Fraction:
        """The seed's L: when it gives one, else the ABC default for the meter."""
        return parse_unit(self.unit) if self.unit else default_unit(parse_meter(self.meter or "4/4"))

    @property
    def done(self) -> bool:
        return self._phase[0] == "body" and self.body is not None and (self.body.done or self.out_of_chars)

    @property
    def body_chars(self) -> int:
        """New body characters written after the seed."""
        return 0 if self._body_start is None else max(0, len(self.text) - self._body_start)

    @property
    def out_of_chars(self) -> bool:
        """The ``chars`` goal is met (the bar still needs :meth:`finish`)."""
        return (self.chars is not None and self._body_start is not None and not self._seed_queue
                and self.body_chars >= self.chars)

    def allowed(self) -> frozenset[str]:
        kind, arg = self._phase
        if kind == "force":
            return frozenset(arg[0])
        if kind == "title":
            typed = len(self.text) - self.text.rindex("T:") - 2
            chars = TITLE_CHARS if typed < MAX_TITLE else frozenset()
            return chars | {"\n"} if typed > 0 else chars
        if kind == "choose":
            _, prefix, options = arg
            return frozenset(o[len(prefix)] for o in options if o.startswith(prefix))
        if self._seed_queue:
            return frozenset(self._seed_queue[0])
        return self.body.allowed()

    def feed(self, ch: str) -> None:
        if ch not in self.allowed():
            raise ValueError(f"{ch!r} is not allowed here")
        self.text += ch
        kind, arg = self._phase
        if kind == "force":
            rest = arg[1:]
            self._phase = ("force", rest)
            if not rest:
                self._advance()
        elif kind == "title":
            if ch == "\n":
                self._advance()
        elif kind == "choose":
            name, prefix, options = arg
            prefix += ch
            if prefix.endswith("\n"):
                setattr(self, name, prefix.strip())
                self._advance()
            else:
                self._phase = ("choose", (name, prefix, options))
        else:
            if self._seed_queue:
                self._seed_queue.pop(0)
            self.body.feed(ch)

    def finish(self) -> str:
        """Complete the tune the shortest way (used when a length budget runs out)."""
        while not self.done and self._phase[0] != "body":
            self.feed(sorted(self.allowed() - {" "})[0] if self.allowed() - {" "} else " ")
        while self._seed_queue:
            self.feed(self._seed_queue[0])
        if not self.body.done:
            self.text += self.body.force_finish()
        return self.text


def fit_seed_body(seed_body: str, meter, unit) -> tuple[str, Fraction, AbcBodyGrammar]:
    """The seed body as the grammar will read it: ``(cleaned text, pickup, grammar that has read it)``.

    Raises ValueError (with a position in the cleaned text) when the body is
    outside the grammar's subset even after :func:`clean_seed_body`.
    """
    body = seed_body.replace("`", "")  # ABC 2.1 beaming marks carry no music
    cleaned = clean_seed_body(body) if body.strip() else ""
    pickup = AbcBodyGrammar.seed_pickup(cleaned, meter, unit) if cleaned else Fraction(0)
    cleaned, probe = _fit_seed(cleaned, meter, unit, pickup)
    return cleaned, pickup, probe


def _fit_seed(cleaned: str, meter, unit, pickup) -> tuple[str, AbcBodyGrammar]:
    """Feed the seed; a short last bar loses its bar line so the model completes the bar."""
    probe = AbcBodyGrammar(meter, unit, 10_000, pickup)
    try:
        probe.feed_text(cleaned)
        return cleaned, probe
    except ValueError:
        trimmed = cleaned.rstrip().rstrip("|:]").rstrip()
        if trimmed == cleaned.rstrip():
            raise
    probe = AbcBodyGrammar(meter, unit, 10_000, pickup)
    probe.feed_text(trimmed)
    return trimmed, probe


def seed_fields(seed_text: str) -> tuple[dict[str, str], str]:
    """The header fields and body of a seed (ABC header lines and/or first bars)."""
    fields: dict[str, str] = {}
    body_lines = []
    for line in seed_text.strip().splitlines():
        if len(line) > 1 and line[1] == ":" and line[0].isalpha() and not body_lines:
            if line[0] in "XTMLKQR":  # other header fields (Z:, R:, ...) are skipped
                fields[line[0]] = line[2:].strip()
        elif line.strip() and not line.startswith("%"):
            body_lines.append(line.rstrip())
    if "M" in fields:
        fields["M"] = format_meter(parse_meter(fields["M"]))
    return fields, "\n".join(body_lines)
