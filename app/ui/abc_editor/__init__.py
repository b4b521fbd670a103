"""The ABC editor: highlighted ABC text kept in step with the score (see ``editor.py``)."""
