"""Character-level ABC LSTM (folk-rnn style) with grammar-aware decoding."""
