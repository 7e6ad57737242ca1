"""Questions in a conversation: a follow-up read with the question before it.

- followup: turning a fragment ('et renault alors ?') into a whole question, or leaving it alone;
- conversation: the bounded memory of each session's last turn.

Import the modules themselves; this file imports nothing.
"""
