"""The benchmark: the engine against a naive fuzzy matcher and BM25, for quality, speed and memory.

Run it with `make bench` (or `python -m bench`); see bench/README.md.
"""
