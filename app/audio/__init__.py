"""Audio for Cadenza: SoundFont discovery, FluidSynth rendering, export, spectrograms.

Nothing here imports Qt or torch: the GUI streams the float32 blocks that
:mod:`app.audio.synth` yields into its audio sink, and the CLI writes them
to files with :mod:`app.audio.export`.
"""
