"""What the customer reads: engine stages and failure codes in plain words.

The engine's reasons are written for an operator ("grant", "serial", "licence"); a
customer at the counter gets a short sentence saying what happened and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from pressroom.engine.events import Stage

STAGE_WORDS = {
    Stage.WAITING: "Getting ready",
    Stage.IDENTIFY: "Checking your disk",
    Stage.CHECK_SPACE: "Checking your disk",
    Stage.RESERVE: "Getting ready",
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
    """The customer's words for an engine failure code."""
    nothing = "Nothing was charged."
    if code in ("too-small", "disk-full"):
        mb = max(1, round(needed_bytes / 1e6))
        need = f" It needs at least {mb} MB free." if needed_bytes else ""
        return Problem(
            "This disk is too small",
            f"The album does not fit on this disk.{need} Please take your disk and try a "
            f"bigger one. {nothing}",
        )
    if code.startswith("identity-"):
        return Problem(
            "This disk cannot be used",
            "This disk does not tell us who it is, so we cannot copy music onto it. Please "
            f"take your disk and try another one (most USB sticks from a shop work). {nothing}",
        )
    if code == "removed":
        return Problem(
            "The disk was taken out too early",
            f"The copy was not finished. {nothing} Please insert the disk again and leave it "
            "in until you see “Take your disk”.",
        )
    if code == "grant-exhausted":
        return Problem(
            "Sorry, this album is sold out",
            f"We cannot sell more copies of this album right now. {nothing} Please ask at the "
            "counter or choose another album.",
            can_retry=False,
            sold_out=True,
        )
    if code == "has-licence":
        return Problem(
            "This disk already has music from us",
            "To keep your music safe we do not copy over it. Please take your disk and use an "
            f"empty one. {nothing}",
        )
    if code in ("read-only",):
        return Problem(
            "This disk is locked",
            "We cannot write to this disk. If it has a small lock switch, slide it, or try "
            f"another disk. {nothing}",
        )
    return Problem(
        "Something went wrong with this disk",
        f"The copy did not work. {nothing} Please take your disk and try again, or try "
        "another disk. If it keeps happening, please ask at the counter.",
    )
