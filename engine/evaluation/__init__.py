"""Measuring answers: the evaluation sets, follow-ups, and what a reload would change.

- questions: top-1 accuracy, abstention and reply language on the evaluation questions;
- followups: the follow-up set, asked in context and alone;
- changes: the answers of the serving base compared with a new one, before a reload swaps them.

Import the modules themselves; this file imports nothing.
"""
