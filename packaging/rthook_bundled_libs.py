"""PyInstaller runtime hook: ctypes.util.find_library looks in the bundle first.

pyfluidsynth loads FluidSynth with ``find_library("fluidsynth")``, which searches the system
(ldconfig) only; the bundle carries its own libfluidsynth, found here. A library the bundle lacks is
looked up as before, so a missing one still gives Cadenza's one-sentence install hint.
"""

import ctypes.util
import glob
import os
import sys

_system_find_library = ctypes.util.find_library


def _find_library(name):
    names = (name, name[3:]) if name.startswith("lib") else (name,)
    for base in names:
        found = sorted(glob.glob(os.path.join(sys._MEIPASS, f"lib{base}.so*")))
        if found:
            return found[0]
    return _system_find_library(name)


ctypes.util.find_library = _find_library
