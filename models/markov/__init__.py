"""markov: a variable-order Markov model over note tokens (no torch)."""
