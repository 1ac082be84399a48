"""A district on many machines: which node holds which live room, kept in Redis.

A live room lives on one node (its SFU, its roster, its recording). `directory.Directory`
places a room on the least-loaded live node and hands its owner a fencing token; nodes hold a
lease they renew with their load, and learn at each renewal which of their rooms another node
has claimed since (the owner re-checks its token: a node that stalled past its lease closes
its copy of the room instead of keeping a second one open). This package knows Redis and
nothing of the rest of the server.
"""
