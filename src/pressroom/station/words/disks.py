"""A disk's card in a shop's words: why a disk failed, why it may not be written, and the
notes a made disk can carry. Keyed by the stable reason codes the engine and the identity
judge give (``DiskProgress.reason_code``, ``Verdict.code``); the raw reason sentence stays
for Details and logs.
"""

from __future__ import annotations

from pressroom.engine.events import DiskState
from pressroom.station.words.plain import Words

USE_ANOTHER = "Use another disk."
ASK_SETUP = "Ask whoever set up the station to"
NOTHING_COUNTED = "nothing was counted"
CANNOT_USE = "This disk cannot be used"
TOO_SMALL = "This disk is too small"

# Why a disk may not be written: the identity judge's verdict codes (drives.identity),
# which a failed disk carries as ``identity-<code>``.
VERDICTS: dict[str, Words] = {
    "permission": Words(
        "Serial number not readable",
        "This station is not allowed to read this disk's serial number.",
        f"{ASK_SETUP} finish the USB permission step (Details), then plug the disk in again.",
        "Please ask at the counter.",
        customer_title=CANNOT_USE,
    ),
    "unreadable": Words(
        "Serial number not readable",
        "The disk did not give its serial number when asked.",
        "Take it out and plug it in again; if that does not help, use another disk.",
        "Please take your disk out, plug it in again, or try another one.",
        customer_title=CANNOT_USE,
    ),
    "missing": Words(
        "Disk cannot be told apart",
        "This disk has no serial number of its own, so a copy cannot be tied to it.",
        "Use another disk (most branded USB sticks have one).",
        "Please try another disk (most USB sticks from a shop work).",
        customer_title=CANNOT_USE,
    ),
    "blank": Words(
        "Disk cannot be told apart",
        "This disk's serial number is empty, so a copy cannot be tied to it.",
        "Use another disk (most branded USB sticks have one).",
        "Please try another disk (most USB sticks from a shop work).",
        customer_title=CANNOT_USE,
    ),
    "placeholder": Words(
        "Disk cannot be told apart",
        "This disk reports a made-up serial number that many disks share, so a copy "
        "cannot be tied to it.",
        "Use another disk (a branded one).",
        "Please try another disk (most USB sticks from a shop work).",
        customer_title=CANNOT_USE,
    ),
    "refused": Words(
        "Disk cannot be told apart",
        "This disk's serial number cannot be used to tie a copy to it.",
        USE_ANOTHER,
        "Please try another disk.",
        customer_title=CANNOT_USE,
    ),
    "duplicate": Words(
        "Same serial as another disk",
        "Another disk plugged in here reports the same serial number, so a copy made for "
        "one would also play on the other.",
        "Take one of them out, or use other disks.",
        "Please try another disk.",
        customer_title=CANNOT_USE,
    ),
    "reader": Words(
        "Card reader",
        "This is a card reader: its serial number belongs to the reader, not to the card "
        "in it, so a copy would play from any card in it.",
        "Use a USB stick instead.",
        "Please use a USB stick instead.",
        customer_title=CANNOT_USE,
    ),
    "known-elsewhere": Words(
        "Possibly a fake disk",
        "A disk with this serial number was made here before, but it was another model or "
        "size: this may be a copied or fake disk.",
        USE_ANOTHER,
        "Please try another disk.",
        customer_title=CANNOT_USE,
    ),
}

_READ_BACK = Words(
    "Read-back check failed",
    "When read back, the disk returned other data than was written: it may be faulty or fake.",
    "Press Retry once; if it fails again, put the disk aside and use another.",
    "Please try another disk.",
)
_RIGHTS_INVALID = Words(
    "Rights not valid now",
    "The rights for this music are not valid right now (expired, not started, or not "
    "from a trusted publisher).",
    "Check Rights in the catalog, or ask the publisher for new rights.",
    "Please ask at the counter.",
)

# Codes of the read-back: the verifier's and the disk reader's (secure.errors and
# secure.diskfs codes a read-back raises), all meaning "the disk gave back other data".
READ_BACK_CODES = frozenset(
    {
        "verify-header",
        "verify-licence",
        "invalid",
        "format",
        "bad-signature",
        "untrusted",
        "wrong-disk",
        "wrong-player",
        "media-key",
        "altered",
        "truncated",
        "bad-chunk",
        "bad-header",
        "bad-hash",
        "trailing-data",
        "too-complex",
        "too-large",
        "too-deep",
        "bad-path",
        "changed",
        "unsupported",
        "missing",
        "no-licence",
    }
)
RIGHTS_CODES = frozenset(
    {
        "grant",
        "grant-expired",
        "grant-early",
        "grant-untrusted",
        "grant-forged",
        "grant-exceeded",
        "grant-rights",
        "grant-station",
        "grant-track",
        "licence-revoked",
    }
)
# The station's certificate from the publisher, which every copy's licence names.
STATION_CERT_CODES = frozenset({"station-uncertified", "station-expired", "station-revoked"})
_STATION_CERT = Words(
    "Station certificate not valid",
    "This station's certificate from the publisher is missing, expired or withdrawn.",
    f"{ASK_SETUP} renew it with the publisher (Details).",
    "Please ask at the counter.",
)

FAILURES: dict[str, Words] = {
    "cancelled": Words(
        "Stopped",
        f"Stopped by the operator before it was finished; {NOTHING_COUNTED}.",
        "Press Retry to write it again, or take it out.",
    ),
    "removed": Words(
        "Taken out too early",
        "The disk was taken out before it was finished.",
        "Nothing was counted: put it back in (or a new one) to write it again.",
        "Please insert the disk again and leave it in until you see “Take your disk”.",
        customer_title="The disk was taken out too early",
    ),
    "has-licence": Words(
        "Already holds a copy",
        "This disk already holds a finished copy, so it was left as it is.",
        "Use a blank disk, or press Retry to write over it.",
        "To keep your music safe we do not copy over it. Please use an empty disk.",
        customer_title="This disk already has music from us",
    ),
    "read-only": Words(
        "Disk is locked",
        "This disk is locked against writing.",
        "Slide its lock switch, if it has one, or use another disk.",
        "If it has a small lock switch, slide it, or try another disk.",
        customer_title="This disk is locked",
    ),
    "too-small": Words(
        "Not enough space",
        "The music does not fit on this disk.",
        "Use a bigger disk, or one with more free space.",
        "Please take your disk and try a bigger one.",
        customer_title=TOO_SMALL,
    ),
    "disk-full": Words(
        "Not enough space",
        "The disk ran full while it was being written.",
        "Use a bigger disk, or one with more free space.",
        "Please take your disk and try a bigger one.",
        customer_title=TOO_SMALL,
    ),
    "file-too-large": Words(
        "Track too big for this disk",
        "A track is larger than this disk's format (FAT) can hold in one file.",
        "Use a disk formatted as exFAT, or another disk.",
        "Please try another disk.",
    ),
    "grant-exhausted": Words(
        "No copies left",
        "The rights for this music have no copies left; nothing was written on this disk.",
        "Ask the publisher for more copies.",
        "We cannot sell more copies of this album right now. Please ask at the counter or "
        "choose another album.",
    ),
    "source-changed": Words(
        "Music file changed",
        "A music file in the catalog changed after it was imported.",
        "Import the album again, then start a new run.",
        "Please ask at the counter.",
    ),
    "source-missing": Words(
        "Music file missing",
        "A music file in the catalog can no longer be read.",
        "Check that the catalog's music folder is still there, import the album again, "
        "then start a new run.",
        "Please ask at the counter.",
    ),
    "mark-key": Words(
        "Station key missing",
        "The key this station marks each copy with is missing.",
        f"{ASK_SETUP} restore the station's keys (Details).",
        "Please ask at the counter.",
    ),
    "verify-hash": Words(
        "Read-back check failed",
        "A track read back from the disk does not match the catalog's music file.",
        "If the album changed since it was imported, import it again; otherwise use another disk.",
        "Please try another disk.",
    ),
    "verify-cache-only": Words(
        "Could not check the disk itself",
        "The station could not read this disk back from the disk itself, and Settings "
        "require that check.",
        "Use another disk, or change “Check each copy” in Settings.",
        "Please try another disk.",
    ),
    "lease-lost": Words(
        "Connection lost too long",
        f"The station lost the shared records too long and another station took over this "
        f"copy; {NOTHING_COUNTED}.",
        "Press Retry to write it again.",
        "Please try again.",
    ),
    "io-error": Words(
        "Disk stopped working",
        "The disk stopped working while it was being written or read.",
        "Press Retry; if it fails again, the disk may be faulty: use another.",
        "Please try again, or try another disk.",
    ),
    "permission": Words(
        "Not allowed to write",
        "This station is not allowed to write to this disk.",
        f"{ASK_SETUP} check the station's disk permissions (Details).",
        "Please ask at the counter.",
    ),
    "ledger-unreachable": Words(
        "Records out of reach",
        f"The station could not reach its records; {NOTHING_COUNTED}.",
        "Check the network connection, then press Retry.",
        "Please ask at the counter.",
    ),
    "commit-pending": Words(
        "Made, not yet recorded",
        "The copy was made and checked, but is not recorded yet; the station records it "
        "at its next start.",
        "Keep the disk; there is nothing to do.",
        "Please ask at the counter.",
    ),
    "internal": Words(
        "Unexpected error",
        "Something unexpected went wrong in the station.",
        "Press Retry; if it happens again, send the Details to support.",
        "Please try again; if it keeps happening, ask at the counter.",
    ),
}

# Notes on a disk that was made: it passed, and the operator should still know this.
NOTES: dict[str, Words] = {
    "cache-only": Words(
        "Checked from memory only",
        "Made and checked, but the check could only read the computer's memory, not the "
        "disk itself.",
        "To be sure, open it in the player (Details).",
    ),
    "eject-failed": Words(
        "Could not eject",
        "Made and checked, but the station could not eject it.",
        "Wait a moment, then remove it safely from the computer.",
    ),
}

_UNKNOWN = Words(
    "Failed",
    "Something went wrong with this disk.",
    "Press Retry; if it happens again, use another disk and keep the Details.",
    "Please try again, or try another disk. If it keeps happening, please ask at the counter.",
)


# Problems of the station, not of the disk: another disk would fail the same way, so a
# kiosk sends the customer to the counter instead of offering "Try again".
STATION_PROBLEMS = frozenset(
    {
        "identity-permission",
        "permission",
        "mark-key",
        "source-changed",
        "source-missing",
        "ledger-unreachable",
        "commit-pending",
        "grant-exhausted",
    }
)


def station_problem(code: str) -> bool:
    """Whether ``code`` is the station's problem (no other disk would do better)."""
    return code in STATION_PROBLEMS or code in RIGHTS_CODES or code in STATION_CERT_CODES


def verdict(code: str) -> Words:
    """Why a disk may not be written (or is written with a warning), from its verdict."""
    return VERDICTS.get(code, VERDICTS["refused"])


def failure(code: str) -> Words:
    """Why a disk failed, from its reason code (``identity-<verdict>`` included)."""
    if code.startswith("identity-"):
        return verdict(code.removeprefix("identity-"))
    if code in FAILURES:
        return FAILURES[code]
    if code in NOTES:
        return NOTES[code]
    if code.startswith("verify-") or code in READ_BACK_CODES:
        return _READ_BACK
    if code in RIGHTS_CODES:
        return _RIGHTS_INVALID
    if code in STATION_CERT_CODES:
        return _STATION_CERT
    return _UNKNOWN


def shown_reason(code: str, raw: str) -> str:
    """What a card or a tower cell shows for a disk's reason: the shop's words when the
    code has them; a sentence without a code (a waiting note) is already an operator's."""
    return failure(code).text if code else raw


def knows(code: str) -> bool:
    """Whether ``code`` has words of its own (not the catch-all)."""
    return failure(code) is not _UNKNOWN


def all_failure_codes() -> frozenset[str]:
    """Every code with words of its own (the tests walk them)."""
    ids = {f"identity-{c}" for c in VERDICTS}
    known = READ_BACK_CODES | RIGHTS_CODES | STATION_CERT_CODES
    return frozenset(FAILURES) | frozenset(NOTES) | known | ids


# What a disk that has not started says, by the run's phase (station.runs.Phase; None
# before the first run): "Waiting for Start" would be wrong once Start was pressed.
NOT_IN_RUN = "Not part of this run"  # a run going on without this disk
IDLE_WORDS: dict[str | None, str] = {
    None: "Waiting for Start",
    "preparing": "Starts when the tracks are ready",
    "writing": "Standing by: not needed yet",
    "waiting": NOT_IN_RUN,
    "stopping": NOT_IN_RUN,
    "ended": "Waiting for Start",
}


def idle_words(phase: str | None, *, in_run: bool = True) -> str:
    """What a disk not started says; ``in_run``: the run may take it (not left out)."""
    if not in_run and phase not in (None, "ended"):
        return NOT_IN_RUN
    return IDLE_WORDS.get(phase, IDLE_WORDS[None])


# A disk's state as a card and a tower cell name it, with the theme key of its colours (a
# running disk shows its stage instead; a card says "Working" where a cell has no room).
STATE_WORDS: dict[DiskState, tuple[str, str]] = {
    DiskState.IDLE: ("Ready", "idle"),
    DiskState.RUNNING: ("Working", "running"),
    DiskState.PASS: ("PASS", "pass"),
    DiskState.FAIL: ("FAIL", "fail"),
    DiskState.CANCELLED: ("Stopped", "cancelled"),
    DiskState.REMOVED: ("Removed", "removed"),
}
