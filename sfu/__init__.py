"""Selective forwarding unit: forwards RTP packets between peers, never decodes them."""
