"""The knowledge files: reading them, checking them, loading them, drafting new ones.

- yamlfile, yamlhints: bounded `yaml.safe_load` reads, with line numbers and hints for errors;
- shapes, validate: the declared shape of each record (msgspec), and reading a record into it with
  every problem at its line (problems: what is wrong, where);
- schema, factcheck, lexiconfile, evalsets, quotes, review: each file's loader and the rules across
  files (sources, topics and decision; facts; the lexicon; evaluation, follow-up and out-of-scope
  sets; quotes found in the source text, drafts still marked for review);
- model: the loaded knowledge base's data shapes;
- loader, cache, gcpause: loading a folder (time-limited, in the background), the on-disk
  cache of parsed and analysed sheets, the garbage collector paused during a bulk load;
- baseline, drafting, sources_admin: the maintenance commands' work (the answer baseline,
  fact drafts from the article, adding a source); passages, wording, draftyaml: a draft's
  passages of the sources, its words in each language, and its YAML.

Import the modules themselves; this file imports nothing.
"""
