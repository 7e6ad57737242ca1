"""Matching a question to a fact: spelling, the lexical and semantic signals, and the learned decision.

- spelling: misspelt words corrected against the knowledge base's own vocabulary;
- index, lexical: facts analysed once, the inverted index, the lexical score;
- semantic: text vectors from the embedding model shipped in the `wordllama` wheel;
- features, decision: the signals of each candidate, weighed by a choice model (a conditional logit) fitted on the
  evaluation questions (calibrate: the fit, `python bot.py calibrate`);
- matcher: where they meet, one Matcher per knowledge base.

Import the modules themselves (`engine.matching.matcher`); this package imports nothing, so
the knowledge model can use the decision's plain data without a cycle.
"""
