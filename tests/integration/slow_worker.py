"""An SFU worker that first sleeps, as one importing aiortc and PyAV on a loaded machine does,
and leaves a mark (the file named by SLOW_WORKER_MARK) when it begins to serve.
`python -m tests.integration.slow_worker 127.0.0.1`."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sfu import worker

if __name__ == "__main__":
    time.sleep(1.0)
    Path(os.environ["SLOW_WORKER_MARK"]).write_text("serving")
    worker.main()
