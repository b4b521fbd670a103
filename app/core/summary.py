"""A plain summary of a score (what ``cadenza info`` prints)."""

from __future__ import annotations

import math
from typing import Any

from app.core.quiet_import import quiet_import
from app.core.score import Score
from app.core.timing import bar_count, duration_seconds
from app.core.variations import score_key


def gm_instrument_name(program: int, is_drum: bool = False) -> str:
    """General MIDI name of ``program`` ("Drums" for a drum track)."""
    if is_drum:
        return "Drums"
    return quiet_import("pretty_midi").program_to_instrument_name(program)


def json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinity (which JSON cannot hold) replaced by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def score_info(score: Score) -> dict[str, Any]:
    """Title, tracks, note count, duration, bars, tempo, meter and key as a dict."""
    first_sig = score.time_signatures[0]
    return {
        "title": score.title,
        "tracks": [
            {"name": t.name, "program": t.program, "instrument": gm_instrument_name(t.program, t.is_drum),
             "is_drum": t.is_drum, "notes": len(t.notes)}
            for t in score.tracks
        ],
        "notes": score.note_count,
        "duration_seconds": round(duration_seconds(score), 3),
        "bars": bar_count(score),
        "tempo_bpm": round(score.tempos[0].bpm, 3),
        "tempo_changes": len(score.tempos) - 1,
        "time_signature": f"{first_sig.numerator}/{first_sig.denominator}",
        "time_signature_changes": len(score.time_signatures) - 1,
        "key": score_key(score),
        "key_changes": max(0, len(score.keys) - 1),
        "ppq": score.ppq,
        "provenance": json_safe(dict(score.provenance)),
    }


def format_info(info: dict[str, Any]) -> str:
    """Human-readable text of :func:`score_info`."""
    lines = [
        f"Title:           {info['title'] or '(untitled)'}",
        f"Duration:        {info['duration_seconds']:.2f} s, {info['bars']} bars",
        f"Tempo:           {info['tempo_bpm']:g} bpm" + (f" ({info['tempo_changes']} changes)" if info["tempo_changes"] else ""),
        f"Time signature:  {info['time_signature']}" + (f" ({info['time_signature_changes']} changes)" if info["time_signature_changes"] else ""),
        f"Key:             {info['key'] or 'unknown'}" + (f" ({info['key_changes']} changes)" if info["key_changes"] else ""),
        f"Notes:           {info['notes']}",
        f"Tracks:          {len(info['tracks'])}",
    ]
    for i, t in enumerate(info["tracks"], 1):
        lines.append(f"  {i:2d}. {t['name'] or '(unnamed)':<24} {t['instrument']:<28} {t['notes']:6d} notes")
    return "\n".join(lines)
