"""What the customer reads: engine stages and failure codes in plain words.

The engine's reasons are written for developers; the glossary (pressroom.station.words)
words each fact once for the station's cards and the kiosk alike, and a customer at the
counter gets its sentence with what a customer does.
"""

from __future__ import annotations

from dataclasses import dataclass

from pressroom.engine.events import Stage
from pressroom.station.words import failure, knows
from pressroom.station.words.disks import station_problem

STAGE_WORDS = {
    Stage.WAITING: "Getting ready",
    Stage.IDENTIFY: "Checking your disk",
    Stage.CHECK_SPACE: "Checking your disk",
    Stage.RESERVE: "Getting ready",
    Stage.QUEUED: "Getting ready",
    Stage.CLEAN: "Preparing your disk",
    Stage.WRITE: "Copying your music",
    Stage.VERIFY: "Checking every song",
    Stage.LICENCE: "Finishing",
    Stage.COMMIT: "Finishing",
    Stage.DONE: "Done",
}


@dataclass(frozen=True)
class Problem:
    title: str
    text: str
    can_retry: bool = True  # "Try again" with another (or the same) disk makes sense
    sold_out: bool = False  # the album itself cannot be sold now


def problem_for(code: str, *, needed_bytes: int = 0) -> Problem:
    """The customer's words for an engine failure code: the glossary's fact
    (:mod:`pressroom.station.words`, the same the station's card says) with what a
    customer does, and that nothing was charged."""
    words = failure(code)
    nothing = "Nothing was charged."
    if code in ("too-small", "disk-full"):
        mb = max(1, round(needed_bytes / 1e6))
        need = f" It needs at least {mb} MB free." if needed_bytes else ""
        return Problem(words.customer_heading, f"{words.what}{need} {words.customer} {nothing}")
    if code == "grant-exhausted":
        return Problem(
            "Sorry, this album is sold out",
            f"{words.customer} {nothing}",
            can_retry=False,
            sold_out=True,
        )
    if not knows(code):
        return Problem("Something went wrong with this disk", f"{words.for_customer} {nothing}")
    return Problem(
        words.customer_heading,
        f"{words.for_customer} {nothing}",
        can_retry=not station_problem(code),
    )
