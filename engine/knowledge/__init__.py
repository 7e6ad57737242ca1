"""The knowledge files: reading them, checking them, loading them, drafting new ones.

- yamlfile, yamlhints: bounded `yaml.safe_load` reads, with line numbers and hints for errors;
- schema, quotes, review: the checks of fact sheets, sources, topics and evaluation sets
  (quotes found in the source text, drafts still marked for review);
- model: the loaded knowledge base's data shapes;
- loader, cache, gcpause: loading a folder (time-limited, in the background), the on-disk
  cache of parsed and analysed sheets, the garbage collector paused during a bulk load;
- baseline, drafting, sources_admin: the maintenance commands' work (the answer baseline,
  fact drafts from the article, adding a source).

Import the modules themselves; this file imports nothing.
"""
