"""The Generate panel's controls as values, read from the options table.

The panel shows one slider row per per-model number option of the table in
``models/common/options.py`` (temperature, top-k, top-p, latent noise sd,
style α...), one combo box per per-model choice option (key lock, keep
rhythm), the style song combo for a song option, and the rows every model
has (length, variations, random seed). :class:`SliderState` holds their
values; :meth:`SliderState.from_dict` reads stored values, each clamped to the
table's range (``OptionSpec.clamp``). Per-track options (``PER_TRACK``,
``TRACK_RANGE``) have their own section, a row per track the model will write (see
``app/services/track_options.py``); a length in tokens stays on the command line.

Pure values (no Qt): the services layer holds it because app/core may not read
the models' table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from models.common.options import BY_NAME, CHOICE, DEVICES, FLOAT, INT, OPTIONS, SONG, OptionSpec

PANEL_OPTIONS: tuple[OptionSpec, ...] = tuple(o for o in OPTIONS if o.per_model and o.kind in (FLOAT, INT))
CHOICE_OPTIONS: tuple[OptionSpec, ...] = tuple(o for o in OPTIONS if o.per_model and o.kind == CHOICE)
VALUE_OPTIONS = PANEL_OPTIONS + CHOICE_OPTIONS  # every option the panel stores a value of
SONG_OPTIONS: tuple[OptionSpec, ...] = tuple(o for o in OPTIONS if o.per_model and o.kind == SONG)
LENGTH, VARIATIONS, RANDOM_SEED = BY_NAME["bars"], BY_NAME["variations"], BY_NAME["random_seed"]
COMMON = (LENGTH, VARIATIONS, RANDOM_SEED)


def _defaults() -> dict[str, Any]:
    return {o.name: o.default for o in VALUE_OPTIONS}


@dataclass(frozen=True)
class SliderState:
    """The panel's values: every slider and choice option (``options``), length, variations, random seed,
    lock, device."""

    options: Mapping[str, Any] = field(default_factory=_defaults)
    bars: int = LENGTH.default
    variations: int = VARIATIONS.default
    random_seed: int = RANDOM_SEED.default
    locked: bool = False
    device: str = "auto"

    def __post_init__(self) -> None:
        unknown = set(self.options) - {o.name for o in VALUE_OPTIONS}
        if unknown:
            raise KeyError(f"the panel has no {', '.join(sorted(unknown))} option")
        object.__setattr__(self, "options", {**_defaults(), **self.options})

    @classmethod
    def of(cls, **values: Any) -> "SliderState":
        """A state from keyword values: option names (``temperature=0.8``) and the other fields."""
        return cls().updated(**values)

    def updated(self, **values: Any) -> "SliderState":
        """A copy with ``values`` changed (option names and field names alike)."""
        options = {k: v for k, v in values.items() if k in self.options}
        others = {k: v for k, v in values.items() if k not in options}
        return replace(self, options={**self.options, **options}, **others)

    def value(self, name: str) -> Any:
        return self.options[name]

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-able values, as the settings store them."""
        return {**self.options, "bars": self.bars, "variations": self.variations, "random_seed": self.random_seed,
                "locked": self.locked, "device": self.device}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SliderState":
        """Read stored values, each clamped to the table's range; anything unreadable keeps its default."""
        options = {o.name: o.clamp(data.get(o.name, o.default)) for o in VALUE_OPTIONS}
        bars, variations, seed = (o.clamp(data.get(o.name, o.default)) for o in COMMON)
        device = str(data.get("device", "auto"))
        return cls(options, bars, variations, seed, bool(data.get("locked", False)),
                   device if device in DEVICES else "auto")


def label_text(option: OptionSpec) -> str:
    """A row's label: 'Temperature', 'Length (bars)'."""
    return f"{option.label} ({option.unit})" if option.unit else option.label
