"""The SDP we read, and the Opus parameters we add for the browser."""

import pytest

from sfu import sdp
from sfu.errors import InvalidSdp

ANSWER = "\r\n".join(
    [
        "v=0",
        "o=- 1 1 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "c=IN IP4 0.0.0.0",
        "a=mid:0",
        "a=recvonly",
        "a=rtpmap:111 opus/48000/2",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
        "c=IN IP4 0.0.0.0",
        "a=mid:1",
        "a=sendonly",
        "a=rtpmap:96 VP8/90000",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=ssrc-group:FID 11 22",
        "a=ssrc:11 cname:x",
        "a=ssrc:22 cname:x",
        "",
    ]
)


def test_speech_opus_gets_in_band_fec_and_dtx() -> None:
    text = sdp.with_opus_fec(ANSWER)
    fmtp = "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n"
    assert f"a=rtpmap:111 opus/48000/2\r\n{fmtp}" in text
    assert sdp.with_opus_fec(text) == text  # applying twice changes nothing


def test_music_mode_asks_for_stereo_at_256_kbits_without_dtx() -> None:
    text = sdp.with_opus_fec(ANSWER, music=True)
    fmtp = [line for line in text.split("\r\n") if line.startswith("a=fmtp:111 ")]
    assert fmtp == [
        "a=fmtp:111 minptime=10;useinbandfec=1;"
        "stereo=1;sprop-stereo=1;maxaveragebitrate=256000;usedtx=0"
    ]
    (audio, _video) = sdp.media_sections(text)
    assert audio.codec is not None
    assert {k: str(v) for k, v in audio.codec.parameters.items()}["maxaveragebitrate"] == "256000"


OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 1 1 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1 2",
        "m=audio 9 UDP/TLS/RTP/SAVPF 96",
        "a=mid:0",
        "a=sendonly",
        "a=rtpmap:96 opus/48000/2",
        "m=audio 9 UDP/TLS/RTP/SAVPF 96",
        "a=mid:1",
        "a=sendonly",
        "a=rtpmap:96 opus/48000/2",
        "a=fmtp:96 minptime=10",
        "m=video 9 UDP/TLS/RTP/SAVPF 97",
        "a=mid:2",
        "a=sendonly",
        "a=rtpmap:97 VP8/90000",
        "",
    ]
)


def test_a_subscribe_offer_marks_only_the_stereo_tracks() -> None:
    text = sdp.with_stereo_opus(OFFER, {"1"})
    assert [line for line in text.split("\r\n") if line.startswith("a=fmtp")] == [
        "a=fmtp:96 minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1"
    ]
    first, second, video = sdp.media_sections(text)
    assert first.codec is not None and "stereo" not in first.codec.parameters
    assert second.codec is not None and str(second.codec.parameters["stereo"]) == "1"
    assert video.codec is not None and video.codec.mimeType == "video/VP8"
    assert sdp.with_stereo_opus(OFFER, set()) == OFFER
    assert sdp.with_stereo_opus(text, {"1"}) == text  # applying twice changes nothing


def test_media_sections_give_codec_rtx_and_ssrcs() -> None:
    audio, video = sdp.media_sections(ANSWER)
    assert (audio.mid, audio.kind, audio.direction) == ("0", "audio", "recvonly")
    assert audio.codec is not None and audio.codec.mimeType == "audio/opus"
    assert audio.extensions[sdp.AUDIO_LEVEL_URI] == 2
    assert video.codec is not None and video.codec.payloadType == 96
    assert (video.rtx_payload_type, video.ssrc, video.rtx_ssrc) == (97, 11, 22)


def test_garbage_is_an_invalid_sdp_error() -> None:
    with pytest.raises(InvalidSdp, match="SDP could not be parsed"):
        sdp.media_sections("v=0\r\nm=video nonsense\r\n")


DTLS = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\na=setup:active"
SECURED = ANSWER.replace("t=0 0\r\n", f"t=0 0\r\n{DTLS}\r\n")
"""The answer with DTLS parameters for all its m-lines, as a browser sends it."""


def test_a_remote_description_with_directions_and_dtls_parameters_passes() -> None:
    sdp.check_remote(SECURED)


def test_an_m_line_without_a_direction_is_an_invalid_sdp_error() -> None:
    # Found by fuzzing: aiortc's answer failed on it (ValueError: None is not in list).
    with pytest.raises(InvalidSdp) as raised:
        sdp.check_remote(SECURED.replace("a=recvonly\r\n", ""))
    assert str(raised.value) == (
        "m-line 0 states no direction (sendonly, recvonly, sendrecv or inactive)"
    )


def test_a_bundle_group_naming_an_m_line_that_is_not_there_is_an_invalid_sdp_error() -> None:
    # Found by fuzzing: aiortc gave the group's other m-lines no transport, and the publish,
    # then the peer's close (a second join of the same person), failed on it.
    with pytest.raises(InvalidSdp) as raised:
        sdp.check_remote(SECURED.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 7 0 1"))
    assert str(raised.value) == "the BUNDLE group names m-line 7, which is not there"


def test_an_m_line_without_dtls_parameters_is_an_invalid_sdp_error() -> None:
    # Found by fuzzing: aiortc answered, then its connection task failed on an assertion.
    with pytest.raises(InvalidSdp) as raised:
        sdp.check_remote(SECURED.replace("a=fingerprint", "a=fingerprint-not"))
    assert str(raised.value) == "m-line 0 has no DTLS fingerprint"
    with pytest.raises(InvalidSdp) as raised:
        sdp.check_remote(SECURED.replace("a=setup:active\r\n", ""))
    assert str(raised.value) == "m-line 0 has no DTLS role (a=setup)"
