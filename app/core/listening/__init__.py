"""The blind listening test (human or machine?): its statistics and its clip bookkeeping, pure Python.

``stats`` scores answers (accuracy, Wilson interval, exact binomial test,
confusion table); ``sheet`` holds the answer key, each listener's order and
the answer sheets. Drawing, generating and rendering the clips is
``app.services.listening_test``.
"""
