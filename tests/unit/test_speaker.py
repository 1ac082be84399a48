"""The active-speaker detector (sfu/speaker.py) over synthetic activity sequences."""

from sfu.speaker import QUIET_DBOV, ActiveSpeaker, SpeakerParams, VoiceMeter

TICK = 0.2
LOUD = QUIET_DBOV - 13  # a -13 dBov voice, as the bench bots announce
SOFT = 12  # a -38 dBov voice
SILENT = 0


class Room:
    """Feeds a detector one interval at a time and keeps what it announced, and when."""

    def __init__(self, params: SpeakerParams | None = None) -> None:
        self.detector = ActiveSpeaker(params or SpeakerParams())
        self.now = 0.0
        self.changes: list[tuple[float, str | None]] = []

    def play(self, seconds: float, **activities: int) -> None:
        for _ in range(round(seconds / TICK)):
            self.now = round(self.now + TICK, 6)
            if self.detector.update(self.now, activities):
                self.changes.append((self.now, self.detector.speaker))

    @property
    def speakers(self) -> list[str | None]:
        return [speaker for _, speaker in self.changes]


def test_voice_meter_averages_the_activity_of_an_interval_and_restarts() -> None:
    meter = VoiceMeter()
    for level in (13, 13, 0x80 | 33, 127):  # the V bit is ignored
        meter.add(level)
    assert meter.take() == (37 + 37 + 17 + 0) // 4
    assert meter.take() == 0
    meter.add(QUIET_DBOV)
    assert meter.take() == 0


def test_voice_meter_hears_no_voice_in_an_interval_of_a_few_loud_packets() -> None:
    meter = VoiceMeter()
    for level in [3, 3] + [127] * 8:  # a 40 ms beep in 200 ms, like Chromium's fake microphone
        meter.add(level)
    assert meter.take() == 0
    for level in [13] * 5 + [127] * 5:  # half of it spoken: voice
        meter.add(level)
    assert meter.take() == 37 * 5 // 10


def test_a_beep_twice_a_second_never_becomes_the_speaker() -> None:
    room = Room()
    meter = VoiceMeter()
    for tick in range(100):
        for packet in range(10):
            beeping = (tick * 10 + packet) % 25 == 0  # 20 ms every 500 ms
            meter.add(3 if beeping else 127)
        room.now = round(room.now + TICK, 6)
        assert not room.detector.update(room.now, {"a": meter.take()})
    assert room.detector.speaker is None


def test_a_voice_becomes_the_speaker_after_a_second_of_talk() -> None:
    room = Room()
    room.play(1.0, a=LOUD, b=SILENT)
    assert room.changes == [(1.0, "a")]


def test_a_long_talk_keeps_one_speaker() -> None:
    room = Room()
    room.play(30.0, a=LOUD, b=SILENT, c=SOFT // 4)
    assert room.changes == [(1.0, "a")]


def test_a_cough_in_a_silent_room_names_nobody() -> None:
    room = Room()
    room.play(2.0, a=SILENT, b=SILENT)
    room.play(0.2, a=SILENT, b=LOUD)
    room.play(5.0, a=SILENT, b=SILENT)
    assert room.changes == []


def test_a_cough_of_two_intervals_names_nobody() -> None:
    room = Room()
    room.play(0.4, a=SILENT, b=LOUD)
    room.play(5.0, a=SILENT, b=SILENT)
    assert room.changes == []


def test_a_cough_while_the_speaker_talks_does_not_take_over() -> None:
    room = Room()
    room.play(2.0, a=LOUD, b=SILENT)
    room.play(0.2, a=LOUD, b=LOUD)
    room.play(2.0, a=LOUD, b=SILENT)
    assert room.speakers == ["a"]


def test_a_cough_in_the_speakers_pause_does_not_take_over() -> None:
    room = Room()
    room.play(2.0, a=LOUD, b=SILENT)
    room.play(0.2, a=SILENT, b=LOUD)
    room.play(1.0, a=SILENT, b=SILENT)
    room.play(1.0, a=LOUD, b=SILENT)
    assert room.speakers == ["a"]


def test_someone_as_loud_as_the_speaker_does_not_take_over() -> None:
    room = Room()
    room.play(2.0, a=LOUD, b=SILENT)
    room.play(10.0, a=LOUD, b=LOUD)
    assert room.speakers == ["a"]


def test_the_speaker_changes_when_another_talks_and_the_first_falls_quiet() -> None:
    room = Room()
    room.play(3.0, a=LOUD, b=SILENT)
    room.play(3.0, a=SILENT, b=LOUD)
    assert room.changes == [(1.0, "a"), (4.2, "b")]


def test_two_people_alternating_each_become_the_speaker_in_turn() -> None:
    room = Room()
    for _ in range(3):
        room.play(3.0, a=SOFT, b=SILENT)
        room.play(3.0, a=SILENT, b=LOUD)
    assert room.speakers == ["a", "b", "a", "b", "a", "b"]


def test_quick_interjections_do_not_move_the_speaker() -> None:
    room = Room()
    room.play(2.0, a=LOUD, b=SILENT)
    for _ in range(5):
        room.play(0.6, a=SILENT, b=LOUD)
        room.play(0.6, a=LOUD, b=SILENT)
    assert room.speakers == ["a"]


def test_a_louder_voice_takes_over_from_a_soft_one_talking_on() -> None:
    room = Room()
    room.play(2.0, a=SOFT, b=SILENT)
    room.play(2.0, a=SOFT, b=LOUD)
    assert room.changes == [(1.0, "a"), (3.0, "b")]


def test_silence_clears_the_speaker_after_two_seconds() -> None:
    room = Room()
    room.play(2.0, a=LOUD)
    room.play(4.0, a=SILENT)
    # Silent from 2.0; its score falls under `active` during the interval ending at 2.8.
    assert room.changes == [(1.0, "a"), (4.6, None)]


def test_a_pause_shorter_than_the_silence_keeps_the_speaker() -> None:
    room = Room()
    room.play(2.0, a=LOUD)
    room.play(1.6, a=SILENT)
    room.play(2.0, a=LOUD)
    assert room.speakers == ["a"]


def test_a_speaker_who_is_muted_or_leaves_stops_being_it_at_once() -> None:
    room = Room()
    room.play(2.0, a=LOUD, b=SILENT)
    room.play(0.2, b=SILENT)  # a's microphone muted: not offered to the detector
    assert room.changes == [(1.0, "a"), (2.2, None)]


def test_a_muted_publisher_never_becomes_the_speaker() -> None:
    room = Room()
    room.play(5.0, b=SILENT)  # a talks, muted: the router leaves it out
    assert room.changes == []


def test_after_silence_the_next_voice_is_the_speaker() -> None:
    room = Room()
    room.play(2.0, a=LOUD, b=SILENT)
    room.play(5.0, a=SILENT, b=SILENT)
    room.play(2.0, a=SILENT, b=SOFT)
    assert room.speakers == ["a", None, "b"]


def test_late_or_early_timers_measure_the_lead_in_real_time() -> None:
    detector = ActiveSpeaker()
    times = [0.2, 0.45, 0.73, 0.9, 1.0]
    assert [detector.update(t, {"a": LOUD}) for t in times] == [False] * 4 + [True]
    assert detector.speaker == "a"
