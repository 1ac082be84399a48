"""The SFU worker process this server starts: `sfu.worker` with the recorder plugged in.

`sfu` knows nothing of `recording` (the arrows point down); the composition happens here.
"""

from __future__ import annotations

from recording.room_recorder import RoomRecorder
from sfu import worker


def main() -> None:
    worker.main(recorders=RoomRecorder.open)


if __name__ == "__main__":
    main()
