"""The journal: every question and its outcome, kept for the moderators' reports.

- store: the Journal the front ends write to, through a bounded queue off the event loop;
- backend, schema, pg: the SQLite and PostgreSQL backends and their migrations;
- reports: the statistics and unanswered groups read back from either backend;
- reload_sync: reload announcements between shard processes over PostgreSQL.

Import the modules themselves (`engine.journal.store`); this file imports nothing, so the
PostgreSQL driver is only imported by a bot that uses it.
"""
