"""Bench: aiortc bots that drive the classroom server over its wire protocol, and their tools."""
