"""vae-nn: per-track pianoroll VAEs with MelodyNN and ConditionalNNs (Tham & Kim 2021)."""

from models.common.spec import (MONOPHONIC, MULTITRACK, POLYPHONIC, EntryPoint, EvalSpec, ExtraOption,
                                ModelSpec, SizeOption, TrainSpec)

SPEC = ModelSpec(
    name="vae-nn",
    title="VAE-NN",
    architecture="a set of pianoroll VAEs",
    description="Per-track pianoroll VAEs whose latents a MelodyNN and ConditionalNNs predict bar by bar",
    good_for="several voices at once (a four-part chorale, or a band of lead, drums, bass, guitar, piano and "
             "strings), varied by latent noise and a style song",
    options=("temperature", "noise_sd", "style", "style_alpha", "track_noise_sd", "track_style_alpha"),
    seeds=frozenset({MONOPHONIC, POLYPHONIC, MULTITRACK}),  # a band checkpoint hears drums too: generate.checkpoint_spec
    roles=("soprano", "alto", "tenor", "bass"),
    generator=EntryPoint("models.vae_nn.generate:VaeNNGenerator"),
    training=TrainSpec(
        EntryPoint("models.vae_nn.train:train_run"), ("corpus:chorales",),
        sizes=(SizeOption("hidden", "Hidden units", low=4, high=8192, help="hidden units of the VAEs (model size)"),),
        extras=(ExtraOption("roles", "Track roles",
                            "track roles: chorales, lpd5 (LPD-5 .npz and GM program families), band (a lead "
                            "and drums, bass, guitar, piano, strings) or name[:LOW-HIGH][:PROGRAM],... lead "
                            "first (default: chorales for corpus:chorales, band for corpus:band, else lpd5)"),)),
    evaluation=EvalSpec("notes"),
)
