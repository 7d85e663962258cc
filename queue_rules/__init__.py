"""The queue rules: the site model, the engine that decides, the state it folds, the events, views and day
statistics. Pure Python, no I/O: it imports nothing of ours but the protocol."""
