"""A recording composed into one MP4 (H.264 and AAC, index at the front) that any player opens.

The shared screen, or else whoever speaks, fills the stage; the other cameras sit in a strip
below it (`recording.layout`, `recording.director`); every microphone is mixed
(`recording.mix`). Tracks are placed on one timeline by their publishers' clocks
(`media_start`), as in the per-participant WebM.

Each track is decoded once, in order, as the output advances, and each decoded picture is
scaled at most once per place it is shown: the cost grows with the lesson's length and its
number of cameras, and memory does not grow with its length. `Composer` renders the
frames and the sound and leaves where they go to a sink, so a live broadcast can encode
the same frames to HLS.

`python -m recording.compose <recording directory>` composes one with a progress bar.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import av
import av.container
import numpy as np
import numpy.typing as npt
from av.video.reformatter import Interpolation, VideoReformatter

from .director import LOOKAHEAD, Director
from .labels import draw_label
from .layout import HEIGHT, WIDTH, Tile, arrange, fit
from .mix import RATE, Samples, Voice, level, mix
from .sidecar import RecordedTrack, read_sidecar, recorded_tracks
from .slide import Slides
from .stage import Replay
from .timeline import hosts, names, read_timeline
from .written_aside import written_aside

FPS = 25
"""Output frames per second: a lesson's cameras rarely send more, and every frame costs
the encoder."""
SLICE = RATE // FPS
"""Audio samples per output frame."""
VIDEO_BITRATE = 2_000_000
AUDIO_BITRATE = 128_000
OUTPUT = "composed.mp4"
BLACK = (16, 128, 128)
"""Y, U, V of black in video range."""
LINGER = 1.0
"""Seconds a camera's last picture stays after its last frame (a pause for a weak uplink
is shorter; a camera turned off is gone after it)."""

Plane = npt.NDArray[np.uint8]
Planes = tuple[Plane, Plane, Plane]
Progress = Callable[[float], None]
"""Called with the share done (0..1) as the composer goes."""


class Shown:
    """One camera or screen as the composer shows it: its latest picture, scaled to fit."""

    def __init__(self, participant: str, screen: bool) -> None:
        self.participant = participant
        self.screen = screen
        self._latest: tuple[float, av.VideoFrame] | None = None
        self._scaled: dict[Tile, tuple[Tile, Planes]] = {}
        # One scaler per size, kept: `VideoFrame.reformat` sets up a new one for every frame
        # (alone, 5.8 ms against 1.3 ms a 720p frame; a whole composition's scaling fell by
        # 20-30 %).
        self._scalers: dict[tuple[int, int], VideoReformatter] = {}

    def advance(self, when: float) -> bool:
        """Move to the latest picture at `when`; whether there is one to show."""
        raise NotImplementedError

    def _show(self, picture: tuple[float, av.VideoFrame]) -> None:
        self._latest = picture
        self._scaled.clear()

    def scaled(self, tile: Tile) -> tuple[Tile, Planes]:
        """The current picture fitted into `tile`: where it lands and its Y, U, V planes."""
        if tile not in self._scaled:
            assert self._latest is not None
            frame = self._latest[1]
            place = fit(tile, frame.width, frame.height)
            size = (place.width, place.height)
            scaler = self._scalers.setdefault(size, VideoReformatter())
            # Averaging when shrinking (no aliasing in the strip's small pictures), bilinear
            # when enlarging: both about a third of bicubic's time.
            shrinking = place.width < frame.width
            scaled = scaler.reformat(
                frame,
                width=place.width,
                height=place.height,
                format="yuv420p",
                interpolation=Interpolation.AREA if shrinking else Interpolation.BILINEAR,
            )
            self._scaled[tile] = (place, frame_planes(scaled))
        return self._scaled[tile]

    def close(self) -> None:
        return None


class Picture(Shown):
    """One recorded camera or screen, decoded as the output advances."""

    def __init__(self, track: RecordedTrack, offset: float) -> None:
        super().__init__(track.participant, track.source == "screen")
        self.offset = offset
        self._container = av.open(str(track.path))
        self._frames = self._decoded()
        self._next = next(self._frames, None)

    def _decoded(self) -> Iterator[tuple[float, av.VideoFrame]]:
        try:
            for frame in self._container.decode(video=0):
                if frame.time is not None:
                    yield self.offset + frame.time, frame
        except av.error.InvalidDataError:
            return  # a torn tail (a recovered recording): what came before is kept

    def advance(self, when: float) -> bool:
        while self._next is not None and self._next[0] <= when:
            self._show(self._next)
            self._next = next(self._frames, None)
        if self._latest is None:
            return False
        return self._next is not None or when - self._latest[0] <= LINGER

    def close(self) -> None:
        self._container.close()


Paint = Callable[[Planes], None]
"""Draws an output picture into the Y, U, V planes it is given."""


class Sink(Protocol):
    """Where the composer's output goes: an MP4 file, or a live encoder."""

    def picture(self, index: int, paint: Paint) -> None:
        """Output picture `index`: `paint` draws it into the sink's own frame (no copy)."""
        ...

    def sound(self, start: int, samples: Samples) -> None: ...


class Composer:
    """Pictures and voices rendered on one timeline, frame by frame: a recording's
    (`of_recording`), or a live event's, whose pictures and voices come and go."""

    def __init__(
        self,
        pictures: list[Shown],
        voices: list[tuple[str, Voice]],
        teacher: str | None = None,
        length: float = 0.0,
        stage: tuple[Replay, Slides] | None = None,
        people: dict[str, str] | None = None,
    ) -> None:
        self.pictures = pictures
        """In the strip's order; a live composer adds and removes them as tracks come."""
        self.voices = voices
        self.length = length
        self._director = Director(teacher)
        self._stage = stage
        """The material or board shown, replayed on the output's time, and its renderer."""
        self.people = people or {}
        """Names by participant id, written on their cameras."""
        self._heard = 0
        """Audio samples mixed so far."""

    @classmethod
    def of_recording(cls, directory: Path) -> Composer:
        content = read_sidecar(directory) or {}
        videos = recorded_tracks(directory, "video", content)
        audios = recorded_tracks(directory, "audio", content)
        every = [*videos, *audios]
        if not every:
            raise ValueError(f"{directory}: nothing to compose")
        origin = min(t.start for t in every)
        length = max(t.end for t in every) - origin
        if length <= 0:
            raise ValueError(f"{directory}: nothing to compose")
        events = read_timeline(directory)
        teachers = hosts(events)
        # The strip's order: teachers first, then as people started their cameras.
        videos.sort(key=lambda t: (t.participant not in teachers, t.start, t.participant))
        pictures: list[Shown] = [Picture(t, t.start - origin) for t in videos]
        voices = [(t.participant, Voice.of_file(t.path, t.start - origin)) for t in audios]
        # The timeline's clock is the server's, as the tracks' `start`: shifted to the output's.
        timed = [e for e in events if isinstance(e.get("at"), float | int)]
        shifted = [{**e, "at": e["at"] - origin} for e in timed]
        stage = (Replay(shifted), Slides(directory))
        teacher = teachers[0] if teachers else None
        return cls(pictures, voices, teacher, length, stage, names(events))

    @property
    def mono(self) -> bool:
        """Every microphone is mono: the mix's two channels are the same."""
        return all(voice.channels == 1 for _, voice in self.voices)

    @property
    def frames(self) -> int:
        return round(self.length * FPS)

    def run(self, sink: Sink, progress: Progress | None = None) -> None:
        total = self.frames
        for index in range(total):
            self.render(index, sink, self.length)
            if progress is not None and index % FPS == 0:
                progress(index / total)
        self.hear_until(self.length, sink)
        if progress is not None:
            progress(1.0)

    def render(self, index: int, sink: Sink, end: float | None = None) -> None:
        """Output picture `index`, and the sound up to a second past it (the director hears
        who starts speaking before it shows them); `end`: where the sound stops."""
        ahead = index / FPS + LOOKAHEAD
        self.hear_until(ahead if end is None else min(ahead, end), sink)
        sink.picture(index, self._painter(index / FPS))

    def hear_until(self, until: float, sink: Sink) -> None:
        """Mix the sound up to `until` seconds, slice by slice, telling the director who
        spoke in each."""
        end = round(until * RATE)
        while self._heard < end:
            count = min(SLICE, end - self._heard)
            parts: list[Samples] = []
            levels: dict[str, float] = {}
            for participant, voice in self.voices:
                part = voice.read(self._heard, count)
                if part is not None:
                    parts.append(part)
                    levels[participant] = max(levels.get(participant, 0.0), level(part))
            self._director.hear(self._heard / RATE, levels)
            sink.sound(self._heard, mix(parts, count))
            self._heard += count

    def _painter(self, when: float) -> Paint:
        """What draws the picture at `when`: the stage, the strip, black around them.

        The stage shows the material's page or the blank board while one was shown (every
        picture then goes to the strip), else the shared screen, else whoever speaks."""
        shown = [p for p in self.pictures if p.advance(when)]
        slide = self._stage[0].advance(when) if self._stage is not None else None
        placed: list[tuple[Tile, Planes]] = []
        if slide is not None and self._stage is not None:
            layout = arrange(len(shown) + 1)
            assert layout.stage is not None
            place, frame = self._stage[1].frame(slide, layout.stage)
            placed.append((place, frame_planes(frame)))
            ordered, tiles = shown, layout.strip
        else:
            screens = [p for p in shown if p.screen]
            if screens:
                staged: Shown | None = screens[-1]
            else:
                speaker = self._director.on_stage(when, (p.participant for p in shown))
                staged = next((p for p in shown if p.participant == speaker), None)
            ordered = ([staged] if staged else []) + [p for p in shown if p is not staged]
            layout = arrange(len(ordered))
            tiles = ([layout.stage] if layout.stage else []) + layout.strip
        labels: list[tuple[Tile, str]] = []
        for picture, tile in zip(ordered, tiles, strict=True):
            place, planes = picture.scaled(tile)
            placed.append((place, planes))
            name = self.people.get(picture.participant)
            if name and not picture.screen:
                labels.append((place, name))

        def paint(planes: Planes) -> None:
            y, u, v = planes
            y.fill(BLACK[0])
            u.fill(BLACK[1])
            v.fill(BLACK[2])
            for place, (py, pu, pv) in placed:
                y[place.y : place.y + place.height, place.x : place.x + place.width] = py
                x, top, w, h = place.x // 2, place.y // 2, place.width // 2, place.height // 2
                u[top : top + h, x : x + w] = pu
                v[top : top + h, x : x + w] = pv
            for place, name in labels:
                draw_label(planes, place, name)

        return paint

    def close(self) -> None:
        for picture in self.pictures:
            picture.close()
        for _, voice in self.voices:
            voice.close()
        if self._stage is not None:
            self._stage[1].close()


class Mp4Sink:
    """H.264 and AAC into an MP4 whose index is at the front: a browser starts playing
    and seeking it, over HTTP Range, before it has all of it."""

    def __init__(
        self,
        output: av.container.OutputContainer,
        mono: bool = False,
        keyframe_every: int | None = None,
    ) -> None:
        self._output = output
        self._mono = mono
        self._video = output.add_stream("libx264", rate=FPS)
        self._video.width, self._video.height = WIDTH, HEIGHT
        self._video.pix_fmt = "yuv420p"
        self._video.bit_rate = VIDEO_BITRATE
        # superfast: half veryfast's time at 720p, still with CABAC and deblocking (which
        # ultrafast drops) for a picture fit to rewatch. b-adapt=0 always puts its 3
        # B-frames instead of weighing 0..3 in a lookahead: 6-15% less encoding time at the
        # same PSNR/SSIM (measured on the bench lessons and a sub-pixel pan). Ultrafast and
        # its kin (subme=0, full-pixel motion) were 30-40% faster but 2-4 dB worse on
        # sub-pixel motion, which a real camera has and the bench's pattern has not.
        params = "b-adapt=0"
        if keyframe_every is not None:
            # Live HLS: a keyframe exactly every segment, where the segments are cut.
            n = keyframe_every
            params += f":keyint={n}:min-keyint={n}:scenecut=0"
        self._video.options = {"preset": "superfast", "x264-params": params}
        self._audio = output.add_stream("aac", rate=RATE)
        # When every microphone is mono the mix's channels are equal: one channel at half
        # the bitrate sounds the same in both ears and halves AAC's time (0.6 s to 0.3 s
        # for 30 s, measured; ~3% of a composition).
        self._audio.layout = "mono" if mono else "stereo"
        self._audio.bit_rate = AUDIO_BITRATE // 2 if mono else AUDIO_BITRATE
        self._frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        self._planes = frame_planes(self._frame)

    def picture(self, index: int, paint: Paint) -> None:
        # One frame painted over and over: x264 copies each picture in as it is given it
        # (the output is bit for bit the same), and a fresh 1.4 MB frame each time cost its
        # page faults when painted (filling black: 0.26 s against 0.10 s for 30 s).
        paint(self._planes)
        self._frame.pts = index
        self._output.mux(self._video.encode(self._frame))

    def sound(self, start: int, samples: Samples) -> None:
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples[:1] if self._mono else samples),
            format="fltp",
            layout="mono" if self._mono else "stereo",
        )
        frame.sample_rate = RATE
        frame.pts = start
        frame.time_base = Fraction(1, RATE)
        self._output.mux(self._audio.encode(frame))

    def finish(self) -> None:
        self._output.mux(self._video.encode(None))
        self._output.mux(self._audio.encode(None))


def frame_planes(frame: av.VideoFrame) -> Planes:
    """Writable views of a yuv420p frame's planes (their rows may be padded)."""
    views = []
    for plane in frame.planes:
        rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
        views.append(rows[:, : plane.width])
    y, u, v = views
    return y, u, v


def compose(directory: Path, progress: Progress | None = None) -> Path:
    """`composed.mp4` in `directory`, written aside and renamed when whole."""
    composer = Composer.of_recording(directory)
    target = directory / OUTPUT
    try:
        with (
            written_aside(target) as temporary,
            av.open(
                str(temporary), "w", format="mp4", options={"movflags": "+faststart"}
            ) as output,
        ):
            sink = Mp4Sink(output, composer.mono)
            composer.run(sink, progress)
            sink.finish()
    finally:
        composer.close()
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m recording.compose <recording directory>", file=sys.stderr)
        return 2

    def bar(done: float) -> None:
        filled = round(done * 40)
        print(f"\r[{'#' * filled}{'.' * (40 - filled)}] {done:4.0%}", end="", file=sys.stderr)

    try:
        path = compose(Path(argv[0]), bar)
    except (ValueError, OSError) as error:
        print(f"\n{error}", file=sys.stderr)
        return 1
    print(f"\n{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
