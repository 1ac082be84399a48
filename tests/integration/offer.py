"""A browser's publish offer (microphone and camera, VP8), as a raw client sends it."""

OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 4005479681 4005479681 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "a=msid-semantic:WMS *",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "c=IN IP4 0.0.0.0",
        "a=sendonly",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=mid:0",
        "a=msid:s a",
        "a=rtcp-mux",
        "a=ssrc:3435053647 cname:fuzz",
        "a=rtpmap:111 opus/48000/2",
        "a=ice-ufrag:0DCQ",
        "a=ice-pwd:2cVfdGGv7BD6Bk4XkwOctJ",
        "a=fingerprint:sha-256 A4:80:82:A5:09:84:F7:05:16:26:E5:D6:0D:76:ED:26:24:13:6D:82:82:"
        "A8:22:CE:8E:25:D0:AF:5D:A1:22:EE",
        "a=setup:actpass",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
        "c=IN IP4 0.0.0.0",
        "a=sendonly",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=mid:1",
        "a=msid:s v",
        "a=rtcp-mux",
        "a=ssrc-group:FID 3419230601 2887648701",
        "a=ssrc:3419230601 cname:fuzz",
        "a=ssrc:2887648701 cname:fuzz",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 nack",
        "a=rtcp-fb:96 nack pli",
        "a=rtcp-fb:96 goog-remb",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=ice-ufrag:0DCQ",
        "a=ice-pwd:2cVfdGGv7BD6Bk4XkwOctJ",
        "a=fingerprint:sha-256 A4:80:82:A5:09:84:F7:05:16:26:E5:D6:0D:76:ED:26:24:13:6D:82:82:"
        "A8:22:CE:8E:25:D0:AF:5D:A1:22:EE",
        "a=setup:actpass",
        "",
    ]
)
OFFER_TRACKS = [{"mid": "0", "source": "microphone"}, {"mid": "1", "source": "camera"}]
