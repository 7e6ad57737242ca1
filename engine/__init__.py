"""The answering engine: fact sheets in, sourced bilingual answers out. Knows nothing of Discord.

The front ends (the cogs, the console, the CLI) come in through one door, `engine.answering`
(Engine, Snapshot, Reply). Behind it, a package per job:

- knowledge: the knowledge files, their checks, loading, the load cache, drafting;
- matching: a question to a fact (spelling, the lexical and semantic signals, the decision);
- dialogue: follow-up questions and the conversations they are read in;
- journal: what was asked and answered, on SQLite or PostgreSQL, and reloads across shards;
- evaluation: answer quality on the evaluation sets and what a reload changes.

The modules left at this level are shared by several of those packages or by every front end,
so none of the packages owns them: textnorm (the folding both the facts and the questions go
through), lexicon (the analysed form knowledge and matching compare), language (the reply
language, for matching and drafting), messages and render (the engine's sentences and a Reply as
text or JSON, for every front end), settings, and the terminal front end (cli, console).

Import the modules themselves (`engine.knowledge.loader`); the package `__init__` files import
nothing, so no package pulls in another one on import and no cycle forms.
"""
