"""vae-nn: per-track pianoroll VAEs with MelodyNN and ConditionalNNs (Tham & Kim 2021)."""
