"""Parts every model shares: checkpoints, devices, sampling, training loop, corpora."""
