"""The shop's words: one glossary so the station window, the kiosk and the player say the
same thing for the same fact. Developer detail (paths, USB ids, key names) stays in logs
and behind Details; what is here is what an operator reads."""

from __future__ import annotations

RUN_STATUS = {
    "running": "Running",
    "finished": "Finished",
    "incomplete": "Finished",  # older ledgers recorded a short run as "incomplete"
    "cancelled": "Stopped by the operator",
    "exhausted": "Grant used up",
    "aborted": "Stopped by the operator",
    "failed": "Failed",
    "crashed": "Interrupted (the station stopped)",
}


def run_status(status: str, *, wanted: int, made: int) -> str:
    """The History words for a run's recorded status and its counts."""
    words = RUN_STATUS.get(status, status.capitalize())
    short = wanted - made
    if status in ("finished", "incomplete") and short > 0:
        return f"{words}, {short} short"
    return words


def short_run_id(run_id: str) -> str:
    """The run id an operator reads, says and types (the full id is one click away)."""
    return run_id[:8]


# --- PLAYER: what the player window says (kept apart from the station's words above) --------

# A refused disk or track, by the refusal's stable code (pressroom.player.disk.Refusal and
# pressroom.station.device.DeviceRefused): one sentence a listener understands. The
# technical reason (file names, keys, paths) stays behind the window's Details.
PLAYER_REFUSALS = {
    "wrong-disk": "This music belongs to another disk: it plays only from the disk it was "
    "made for.",
    "wrong-player": "This disk was made for another player and does not play here.",
    "media-key": "This disk's licence was changed after it was made, so nothing on it plays.",
    "bad-signature": "This disk's licence was changed after it was made, so nothing on it plays.",
    "format": "This disk is damaged or was not made by Pressroom.",
    "no-licence": "This disk was not finished when it was made: ask the shop to make it again.",
    "altered": "The music on this disk was changed after it was made, so it does not play.",
    "bad-header": "The music on this disk was changed after it was made, so it does not play.",
    "bad-chunk": "The music on this disk was changed after it was made, so it does not play.",
    "bad-hash": "The music on this disk was changed after it was made, so it does not play.",
    "truncated": "The music on this disk is cut short: it was changed or damaged.",
    "missing": "A track is missing from this disk.",
    "station-uncertified": "This disk was made by a station this player does not know.",
    "station-revoked": "This disk was made by a station that is no longer allowed to make disks.",
    "station-expired": "This disk was made when its station was not allowed to make disks.",
    "licence-revoked": "This disk's licence was withdrawn by the publisher.",
    "grant-expired": "This disk was made outside the dates the publisher allowed.",
    "grant-early": "This disk was made outside the dates the publisher allowed.",
    "grant-exceeded": "This disk is one copy more than the publisher allowed.",
    "grant-station": "This disk was made by a station the publisher did not allow.",
    "grant-track": "This disk carries a track the publisher did not allow.",
    "grant-rights": "This disk gives more rights than the publisher allowed.",
    "state-altered": "This disk's play count was changed, so nothing on it plays.",
    "state-foreign": "This disk's play count was copied from another disk, so nothing on it plays.",
    "state-rollback": "This disk's play count was put back to an older one, so nothing on it "
    "plays.",
    "memory-altered": "This player's memory of plays was changed, so counted tracks do not play.",
    "memory-rollback": "This player's memory of plays was put back to an older copy: tracks "
    "with a play count or a date wait until the newest copy is back.",
    "simulated-disk": "This is a practice disk from another station and does not play here.",
    "expired": "The right to play this track has ended.",
    "no-plays-left": "All the plays of this track have been used.",
    "no-track": "There is no such track on this disk.",
    "io-error": "This disk could not be read: take it out, put it back in and try again.",
    "changed": "This disk changed while it was being read: try again.",
    "symlink": "This disk carries files Pressroom never writes, so it does not play.",
    "fifo": "This disk carries files Pressroom never writes, so it does not play.",
    "socket": "This disk carries files Pressroom never writes, so it does not play.",
    "device": "This disk carries files Pressroom never writes, so it does not play.",
    "directory": "This disk is damaged or was not made by Pressroom.",
    "not-directory": "This disk is damaged or was not made by Pressroom.",
    "too-large": "This disk is damaged or was not made by Pressroom.",
    "too-complex": "This disk is damaged or was not made by Pressroom.",
    "no-device": "This is a folder, not a disk: music plays only from the disk it was made for, "
    "never from copied files.",
    "not-disk-root": "This is a folder on the disk: open the disk itself.",
    "no-serial": "This disk cannot tell the player which disk it is, so it cannot play.",
    "serial-refused": "This disk cannot be told apart from other disks, so it cannot play.",
}
PLAYER_REFUSAL_DEFAULT = "This disk cannot be played here."

PLAYER = {
    "no-disk": "No disk open. Open the disk to play.",
    "pick": "Select a track and press Play (or the space bar).",
    "nothing-plays": "Nothing on this disk will play.",
    "authentic": "This disk is genuine.",
    "audio-failed": "The music could not be played on this computer's sound output.",
}


def player_refusal(code: str) -> str:
    """The listener's sentence for a refusal code (the details stay behind Details)."""
    return PLAYER_REFUSALS.get(code, PLAYER_REFUSAL_DEFAULT)
