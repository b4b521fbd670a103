"""ABC notation in one home (pure Python; music21 only inside ``read``).

- ``header``: the rules of the header fields (``M: L: K: T:``): meters, unit note
  lengths and ABC's default one, ``K:`` values and their key signatures;
- ``tunes``: the tunes of a file (``X:`` numbers, spans, titles), comments;
- ``read``: ABC text -> Score (with ``prepare`` and ``music21_part``; ``repeats``,
  ``parts`` and ``macros`` play out repeats and endings, ``P:`` parts and ``m:``
  macros as ABC 2.1 and abc2midi do);
- ``write``: Score -> ABC text;
- ``errors``: where ABC text goes wrong (line, column, one sentence), for the editor;
- ``notes``: note pitches and lengths straight from ABC text, without music21.

Import from the module that holds a name, e.g. ``from app.core.abc.read import read_abc``.
"""
