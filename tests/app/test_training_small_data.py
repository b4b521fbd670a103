"""The Training dialog's result says how a small folder was split, or why nothing could be measured."""

from app.ui.training.result import card_summary

TOO_FEW = ("With only 2 pieces there is none to spare for measuring, so the model learns from both and reports "
           "no validation or test figures; add at least 1 more to measure it.")


def test_the_card_summary_carries_the_small_data_sentence():
    card = {"arch": "markov", "parameters": 10, "metrics": {},
            "training": {"data": ["/home/me/two"], "seconds": 0.1, "device": "cpu", "held_out": TOO_FEW}}
    lines = card_summary("two", card).split("<br>")
    assert lines[3] == "Metrics: none measured (no held-out pieces in this data)" and lines[4] == TOO_FEW
    card["training"].pop("held_out")
    assert TOO_FEW not in card_summary("two", card)
