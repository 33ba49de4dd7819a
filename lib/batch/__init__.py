"""`python -m lib.batch`: batch runs over many videos on Ray (the command lives in lib.methods.dataset.cli)."""
