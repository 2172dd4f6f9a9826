"""Row formats: how one row of a data file becomes one record (see `rmexp/data/records.py`).

One format per shape the field publishes: generic prompt / chosen / rejected pairs (with chat
messages), HH-RLHF transcripts, rated responses, ranked lists and pair-labelled lists. A format
only parses and checks a row; reading files, splitting and tokenizing live elsewhere.
"""
