"""The one table of generation options, and the frozen options object a request holds.

Every front end reads this table: ``cadenza generate``'s flags, the Generate
panel's slider rows (range, default, label, tooltip, unit), the clamping of
stored slider values, the greyed-out reason of a control a model lacks, and
:func:`resolve_options`, which checks a request. A model's spec lists the
options it takes by name (see ``models.common.spec``); options it lacks stay
``None`` in :class:`GenerationOptions`, options it takes always hold a value
(given or the table's default), so generators never guess a default.

Errors are :class:`OptionError`: they name the option, and each front end
words them (:meth:`OptionError.sentence` with the CLI flag or the GUI label).

Pure: no torch, no Qt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from app.core.errors import GenerationError

FLOAT, INT, SONG, PER_TRACK, CHOICE = "float", "int", "song", "per-track", "choice"
TRACK_RANGE = "per-track range"  # track name or 1-based number -> (lowest, highest) MIDI pitch
DRUM_KIT = 128  # an ensemble track's program for a drum kit (GM programs are 0-127)
ENSEMBLE_TRACKS: Mapping[str, tuple[tuple[str, int], ...]] = MappingProxyType({
    "piano": (("Piano", 0),),
    "piano and bass": (("Piano", 0), ("Bass", 33)),
    "lead and piano": (("Lead", 73), ("Piano", 0)),
    "string quartet": (("Violin 1", 40), ("Violin 2", 40), ("Viola", 41), ("Cello", 42)),
    "four voices": (("Soprano", 52), ("Alto", 52), ("Tenor", 52), ("Bass", 52)),
    "lead, piano, bass and drums": (("Lead", 73), ("Piano", 0), ("Bass", 33), ("Drums", DRUM_KIT)),
})  # the instruments option's choices: the tracks (name, GM program) each writes
ENSEMBLES = ("as the seed", *ENSEMBLE_TRACKS)  # "as the seed": the seed's own tracks
KEY_LOCK_CHOICES = ("off", "seed", *(f"{t} {m}" for m in ("major", "minor")
                                     for t in ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")))
PITCH_PROFILE_CHOICES = KEY_LOCK_CHOICES[1:]  # a soft lean, never off: "seed", or a key (or 12 weights, see below)


@dataclass(frozen=True)
class OptionSpec:
    """One option: its type, range, default and how each front end shows it."""

    name: str  # field name, e.g. "noise_sd"
    kind: str  # FLOAT, INT, SONG (a score: file or seed:NAME), PER_TRACK (track name -> FLOAT) or TRACK_RANGE
    label: str  # the GUI's label, e.g. "Latent noise sd"
    tooltip: str
    low: float | None = None
    high: float | None = None
    default: Any = None
    unit: str = ""
    low_open: bool = False  # the low end itself is not allowed (top-p > 0)
    slider_high: float | None = None  # where the GUI slider ends (the field still reaches ``high``)
    decimals: int = 2
    per_model: bool = True  # False: every model takes it (length, variations, random seed)
    missing: str = ""  # the GUI's greyed-out words: "The NAME model has {missing} (it is ...)"
    off_value: Any = None  # a value that means "off" (top-k 0), shown as such
    cli_default: Any = None  # where a command differs: it writes one file of 8 bars unless asked
    choices: tuple[str, ...] = ()  # CHOICE: the values, as written (the first is the default unless named)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def in_range(self, value: float) -> bool:
        low_ok = self.low is None or (value > self.low if self.low_open else value >= self.low)
        return low_ok and (self.high is None or value <= self.high)

    def range_words(self) -> str:
        if self.kind == CHOICE:
            if self.name == "key_lock":
                return "off, seed, or a key such as C major, F# minor or D dorian"
            if self.name == "pitch_profile":
                return "seed, a key such as C major or F# minor, or 12 pitch-class weights from C to B"
            return "one of " + ", ".join(self.choices)
        if self.kind == TRACK_RANGE:
            return "LOW-HIGH, two MIDI pitches from 0 to 127 or note names such as C4 (60), the lower first"

        def num(x):
            return f"{x:,g}" if isinstance(x, float) else f"{x:,}"

        if self.low_open:
            return f"above {num(self.low)} and at most {num(self.high)}"
        if self.high is None:
            return f"{num(self.low)} or more"
        return f"between {num(self.low)} and {num(self.high)}"

    def clamp(self, value: Any) -> Any:
        """``value`` read as this option's type and brought into range; the default when unreadable."""
        if self.kind == CHOICE:
            return choice_value(self, value) or self.default
        try:
            number = int(value) if self.kind == INT else float(value)
        except (TypeError, ValueError):
            return self.default
        if number != number:  # NaN
            return self.default
        if self.high is not None:
            number = min(number, self.high)
        if self.low is not None and not self.in_range(number):
            number = self.default if self.low_open else max(number, self.low)
        return number


OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("temperature", FLOAT, "Temperature", "Lower: safer, more repetitive; higher: more surprising",
               0.05, 5.0, 1.0, slider_high=2.0, missing="no temperature"),
    OptionSpec("top_k", INT, "Top-k", "Sample only among the K likeliest tokens (0: off)",
               0, 10_000, 0, decimals=0, missing="no top-k sampling", off_value=0),
    OptionSpec("top_p", FLOAT, "Top-p", "Sample only among the likeliest tokens holding this share of probability",
               0.0, 1.0, 1.0, low_open=True, missing="no top-p sampling"),
    OptionSpec("noise_sd", FLOAT, "Latent noise sd", "How far from the seed's latent code each variation wanders",
               0.0, 5.0, 0.5, slider_high=2.0, missing="no latent noise"),
    OptionSpec("style", SONG, "Style song", "The song whose style is mixed in", missing="no style mixing"),
    OptionSpec("style_alpha", FLOAT, "Style α", "How much of the style song's character is mixed in (0: none, 1: all)",
               0.0, 1.0, 0.5, missing="no style mixing"),
    OptionSpec("track_noise_sd", PER_TRACK, "Latent noise sd per track",
               "Latent noise sd of one track (TRACK=SD), overriding the latent noise sd", 0.0, 5.0,
               missing="no per-track latent noise"),
    OptionSpec("track_style_alpha", PER_TRACK, "Style α per track",
               "Style alpha of one track (TRACK=A), overriding style α", 0.0, 1.0, missing="no per-track style mixing"),
    OptionSpec("key_lock", CHOICE, "Key lock", "Only notes of this key's scale ('seed': the seed's key); off: any note",
               default="off", choices=KEY_LOCK_CHOICES, missing="no key lock", off_value="off"),
    OptionSpec("pitch_profile", CHOICE, "Key / pitch classes",
               "The key the music leans toward, or 12 weights of the pitch classes C to B ('seed': the seed's own "
               "pitch classes, or for a model that leans by key, the seed's key); unlike the key lock, no note "
               "is forbidden", default="seed",
               choices=PITCH_PROFILE_CHOICES, missing="no pitch-class profile"),
    OptionSpec("density", INT, "Note density", "Notes per bar on each written track (0: as the model likes)",
               0, 64, 0, unit="notes per bar", slider_high=16, decimals=0, missing="no note-density control",
               off_value=0),
    OptionSpec("lowest_pitch", INT, "Lowest note", "No written note below this MIDI pitch (0: no limit)",
               0, 127, 0, decimals=0, missing="no pitch range", off_value=0),
    OptionSpec("highest_pitch", INT, "Highest note", "No written note above this MIDI pitch (127: no limit)",
               0, 127, 127, decimals=0, missing="no pitch range", off_value=127),
    OptionSpec("track_range", TRACK_RANGE, "Pitch range per track",
               "The notes one track may write (TRACK=LOW-HIGH, e.g. 1=C4-C5 or bass=40-55), within the lowest "
               "and highest note", 0, 127, missing="no per-track pitch range"),
    OptionSpec("keep_rhythm", CHOICE, "Keep rhythm", "Keep the selection's onsets and lengths; regenerate only the pitches",
               default="off", choices=("off", "on"), missing="no keep-rhythm mode", off_value="off"),
    OptionSpec("instruments", CHOICE, "Instruments", "The instruments of the tracks to write ('as the seed': "
               "the seed's own tracks)", default="as the seed", choices=ENSEMBLES, missing="no choice of instruments",
               off_value="as the seed"),
    OptionSpec("bars", INT, "Length", "Length of each variation", 1, 256, 4, unit="bars", slider_high=32,
               decimals=0, per_model=False, cli_default=8),
    OptionSpec("tokens", INT, "Length in tokens", "Length in tokens instead of bars (ABC models: characters)",
               1, 20_000, None, unit="tokens", decimals=0, per_model=False),
    OptionSpec("variations", INT, "Variations", "How many variations each run makes", 1, 64, 4, slider_high=16,
               decimals=0, per_model=False, cli_default=1),
    OptionSpec("random_seed", INT, "Random seed", "Same random seed, same music", 0, 2**31 - 1, 0, decimals=0,
               per_model=False),
)
BY_NAME: Mapping[str, OptionSpec] = MappingProxyType({o.name: o for o in OPTIONS})
MODEL_OPTIONS: tuple[str, ...] = tuple(o.name for o in OPTIONS if o.per_model)  # what a spec may list
RANDOM_SEED_MAX = int(BY_NAME["random_seed"].high)
DEVICES = ("auto", "cpu", "cuda", "mps")


def option(name: str) -> OptionSpec:
    return BY_NAME[name]


class OptionError(GenerationError):
    """A request's option the model lacks, or a value out of range; names the option."""

    def __init__(self, spec: OptionSpec, model: str | None = None, takes: Iterable[str] = (),
                 track: str | None = None, reason: str | None = None) -> None:
        self.option, self.model, self.takes, self.track, self.reason = spec, model, tuple(takes), track, reason
        super().__init__(self.sentence(spec.label))

    @property
    def lacks(self) -> bool:
        return self.model is not None

    def sentence(self, name: str | None = None, names: Mapping[str, str] | None = None) -> str:
        """The error with the option called ``name`` (a flag in the CLI, a label in the GUI); ``names``
        words the options the model does take."""
        name = name or self.option.label
        if self.lacks:
            takes = ", ".join((names or {}).get(t, BY_NAME[t].label) for t in self.takes) or "no sampling options"
            return f"The {self.model} model has no {name} option (it takes: {takes})."
        what = f"{name} of track '{self.track}'" if self.track else name
        if self.reason:
            return f"{what[0].upper()}{what[1:]} {self.reason}."
        return f"{what[0].upper()}{what[1:]} must be {self.option.range_words()}."

    def cli_sentence(self) -> str:
        return self.sentence(self.option.flag, {t: BY_NAME[t].flag for t in self.takes})


@dataclass(frozen=True)
class GenerationOptions:
    """The sampling options of one request: ``None`` for an option the model does not take."""

    temperature: float | None = None
    top_k: int | None = None
    top_p: float | None = None
    noise_sd: float | None = None
    style_alpha: float | None = None
    track_noise_sd: Mapping[str, float] | None = None
    track_style_alpha: Mapping[str, float] | None = None
    key_lock: str | None = None
    pitch_profile: str | None = None
    density: int | None = None
    lowest_pitch: int | None = None
    highest_pitch: int | None = None
    track_range: Mapping[str, tuple[int, int]] | None = None
    keep_rhythm: str | None = None
    instruments: str | None = None

    def values(self) -> dict[str, Any]:
        """The options set, as plain JSON-able values (for provenance)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = dict(value) if isinstance(value, Mapping) else value
        return out


VALUE_OPTIONS = tuple(f.name for f in fields(GenerationOptions))  # the options that are values (not a song)


def check_value(name: str, value: Any) -> Any:
    """``value`` checked against option ``name``'s range (OptionError if outside); per-track maps too."""
    spec = BY_NAME[name]
    if spec.kind == PER_TRACK:
        checked = {}
        for track, v in dict(value).items():
            if not isinstance(v, (int, float)) or not spec.in_range(float(v)):
                raise OptionError(spec, track=str(track))
            checked[str(track).strip().lower()] = float(v)
        return MappingProxyType(checked)
    if spec.kind == TRACK_RANGE:
        ranges = {}
        for track, v in dict(value).items():
            pair = pitch_range(v)
            if pair is None:
                raise OptionError(spec, track=str(track))
            ranges[str(track).strip().lower()] = pair
        return MappingProxyType(ranges)
    if spec.kind == CHOICE:
        chosen = choice_value(spec, value)
        if chosen is None:
            raise OptionError(spec)
        return chosen
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OptionError(spec)
    number = int(value) if spec.kind == INT else float(value)
    if (spec.kind == INT and number != value) or not spec.in_range(number):
        raise OptionError(spec)
    return number


NOTE_LETTERS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
_PITCH = r"(?:[A-Ga-g][#b]?-?\d+|\d+)"
_RANGE = re.compile(rf"\s*({_PITCH})\s*-\s*({_PITCH})\s*")


def pitch_number(text: Any) -> int | None:
    """A MIDI pitch from a number or a note name (middle C = C4 = 60; C#4, Db4), or None if not one in 0..127."""
    if isinstance(text, int) and not isinstance(text, bool):
        number = text
    else:
        match = re.fullmatch(r"\s*(?:(\d+)|([A-Ga-g])([#b]?)(-?\d+))\s*", str(text))
        if match is None:
            return None
        if match[1] is not None:
            number = int(match[1])
        else:
            accidental = {"#": 1, "b": -1}.get(match[3], 0)
            number = 12 * (int(match[4]) + 1) + NOTE_LETTERS[match[2].lower()] + accidental
    return number if 0 <= number <= 127 else None


def pitch_range(value: Any) -> tuple[int, int] | None:
    """``"C4-C5"``, ``"40-55"`` or a (low, high) pair as two MIDI pitches, low <= high; None if not that."""
    if isinstance(value, str):
        match = _RANGE.fullmatch(value)
        parts = (match[1], match[2]) if match else ()
    else:
        parts = tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(parts) != 2:
        return None
    low, high = pitch_number(parts[0]), pitch_number(parts[1])
    return (low, high) if low is not None and high is not None and low <= high else None


def choice_value(spec: OptionSpec, value: Any) -> str | None:
    """``value`` as one of ``spec.choices`` (case and spacing ignored; a key lock also takes any key name
    Cadenza reads, e.g. "D dorian"), or None."""
    if not isinstance(value, str):
        return None
    wanted = " ".join(value.split()).lower()
    for choice in spec.choices:
        if choice.lower() == wanted:
            return choice
    if spec.name == "pitch_profile":
        weights = profile_weights(wanted)
        if weights is not None:
            return " ".join(f"{w:g}" for w in weights)
    if spec.name in ("key_lock", "pitch_profile"):
        from app.core.keys import normalize_key

        try:
            return normalize_key(value)
        except ValueError:
            return None
    return None


def profile_weights(text: str) -> tuple[float, ...] | None:
    """The 12 pitch-class weights (C to B) a ``pitch_profile`` value gives as numbers ("2 0 1 0 1 1 0 1 0 1 0 1",
    commas allowed), or None when it is not 12 non-negative numbers with at least one above zero."""
    parts = text.replace(",", " ").split()
    if len(parts) != 12:
        return None
    try:
        weights = tuple(float(p) for p in parts)
    except ValueError:
        return None
    if any(w != w or w < 0 or w == float("inf") for w in weights) or not any(weights):
        return None
    return weights


def resolve_options(model: str, takes: Iterable[str], given: Mapping[str, Any]) -> GenerationOptions:
    """The options of a request to ``model`` (which takes ``takes``): each given value checked, the
    model's other options at the table's default, options it lacks left at None.

    ``given`` values of ``None`` count as not given. OptionError names the first bad option.
    """
    takes = tuple(t for t in MODEL_OPTIONS if t in set(takes))
    values: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        if name not in BY_NAME or not BY_NAME[name].per_model:
            raise KeyError(name)
        if name not in takes:
            raise OptionError(BY_NAME[name], model, takes)
        if name in VALUE_OPTIONS:
            values[name] = check_value(name, value)
    for name in takes:
        if name in VALUE_OPTIONS and name not in values and BY_NAME[name].default is not None:
            values[name] = BY_NAME[name].default
    return GenerationOptions(**values)


def check_common(bars: int, variations: int, random_seed: int, tokens: int | None) -> None:
    """The options every model takes, checked against the table."""
    for name, value in (("bars", bars), ("variations", variations), ("random_seed", random_seed), ("tokens", tokens)):
        if value is not None:
            check_value(name, value)


def check_variations_can_differ(options: GenerationOptions, variations: int, style_given: bool) -> None:
    """Refuse (OptionError naming the option) a request for several variations whose options make every
    one of them the same music: top-k 1 (greedy sampling), or no latent noise anywhere and no style mixed in."""
    if variations <= 1:
        return
    same = "so every variation would be the same music: raise it, or ask for one variation"
    if options.top_k == 1:
        raise OptionError(BY_NAME["top_k"], reason=f"is 1, {same}")
    if options.noise_sd is None:
        return
    noise = [options.noise_sd, *(options.track_noise_sd or {}).values()]
    alphas = [options.style_alpha or 0.0, *(options.track_style_alpha or {}).values()]
    if not any(noise) and not (style_given and any(alphas)):
        raise OptionError(BY_NAME["noise_sd"], reason=f"is 0 and no style is mixed in, {same}")


def missing_reason(model: str, architecture: str, name: str) -> str:
    """The tooltip of a control the model lacks: 'The NAME model has no latent noise (it is an LSTM).'"""
    return f"The {model} model has {BY_NAME[name].missing} (it is {architecture})."
