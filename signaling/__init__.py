"""Signalling: the HTTP and WebSocket edge, and the composition root of the server."""
