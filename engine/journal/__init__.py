"""The journal: every question and its outcome, kept for the moderators' reports.

- store: the Journal the front ends write to and read from (its door: import from it);
- connections: its two connections and the failure policy; write_queue: the bounded queue off the event loop;
- backend, schema, pg: the SQLite and PostgreSQL backends and their migrations;
- backup: the live copy of a journal file;
- reports: the statistics and unanswered groups read back from either backend;
- reload_sync: reload announcements between shard processes over PostgreSQL.

Import the modules themselves (`engine.journal.store`); this file imports nothing, so the
PostgreSQL driver is only imported by a bot that uses it.
"""
