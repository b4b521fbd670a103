"""band-gan: a MuseGAN-style GAN that writes drums, bass, guitar, piano and strings two bars at a time.

``model.py`` the generator (six transposed convolutions from 100-d noise to 5 x 32 x 128) and its
mirror discriminator, ``data.py`` two-bar segments of the band corpus with their conditions,
``train.py`` the adversarial step for the shared loop, ``generate.py`` accompaniment and
continuation, ``collapse.py`` the mode-collapse measurement.
"""

from models.common.spec import (DRUMS, MONOPHONIC, MULTITRACK, POLYPHONIC, EntryPoint, EvalSpec, ExtraOption, ModelSpec,
                                SizeOption, TrainSpec)

SPEC = ModelSpec(
    name="band-gan",
    title="Band GAN",
    architecture="a GAN of convolutional networks",
    description="MuseGAN-style generator from noise to a two-bar band, conditioned on the lead, the bars before "
                "and the chords",
    good_for="a rhythm section (drums, bass, guitar, piano, strings) under a melody, or after a groove",
    options=("temperature", "noise_sd"),
    seeds=frozenset({MONOPHONIC, POLYPHONIC, MULTITRACK, DRUMS}),
    roles=("drums", "bass", "guitar", "piano", "strings"),
    generator=EntryPoint("models.band_gan.generate:BandGanGenerator"),
    training=TrainSpec(
        EntryPoint("models.band_gan.train:train_run"), ("corpus:band",),
        sizes=(SizeOption("conditional", "Conditioning", kind="choice", choices=("on", "off"),
                          help="on: the generator hears the lead, the bars before and the chords (it can accompany "
                               "a melody); off: a plain GAN from noise"),),
        extras=(ExtraOption("previous_dropout", "Previous-band dropout",
                            help="share of training segments (0 to 1, default 0) whose previous band is silenced, "
                                 "so the generator learns to accompany a melody from its lead and chords alone",
                            metavar="SHARE"),
                ExtraOption("density_matching", "Density matching",
                            help="weight (0 to 10, default 0) of a generator loss matching each role's sounding "
                                 "cells per bar, in distribution, to the real batch's (bars without a previous "
                                 "band apart), against the silent bands it writes when unsure",
                            metavar="WEIGHT"),)),
    evaluation=EvalSpec("notes"),
    accompanies=True,  # conditioned on the lead's segment and its chords (see generate.py)
    chords=True,  # the chord symbols given with a band request, else chords read from the lead
)
