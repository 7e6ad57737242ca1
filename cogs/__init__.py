"""The Discord side: cogs that translate Discord events into engine calls and replies into messages."""
