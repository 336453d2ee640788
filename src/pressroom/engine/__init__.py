"""The duplication engine: the per-disk pipeline, the run (worker pool), the journal.

Planning and starting runs is the application layer's (:mod:`pressroom.station.runs`).

Qt-free: progress leaves as plain events (:mod:`pressroom.engine.events`) that the CLI
prints and the GUI bridges to signals.
"""

from pressroom.engine.events import DiskProgress, DiskState, RunProgress, RunState, Stage
from pressroom.engine.job import Job, JobTrack
from pressroom.engine.run import Run, RunSummary

__all__ = [
    "DiskProgress",
    "DiskState",
    "Job",
    "JobTrack",
    "Run",
    "RunProgress",
    "RunState",
    "RunSummary",
    "Stage",
]
