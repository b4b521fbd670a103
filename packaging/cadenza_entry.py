"""The bundle's entry point (PyInstaller runs this script): the same ``cadenza`` command as the wheel's."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # spawn children (macOS) re-enter here
    from app.__main__ import main

    sys.exit(main())
