"""Recording: a track's RTP packets to frames, frames to a file that survives a crash."""
