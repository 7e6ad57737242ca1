"""The answering engine: fact sheets in, sourced bilingual answers out. Knows nothing of Discord."""
