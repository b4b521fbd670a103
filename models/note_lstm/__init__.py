"""note-lstm: Skuldur's Classical-Piano-Composer LSTM over note/chord tokens with rhythm.

``model.py`` the network, ``codec.py`` scores <-> ids and training windows,
``train.py`` the training task for the shared loop, ``generate.py`` sampling
with carried (h, c) state.
"""
