"""The player's sentences: why a disk or a track will not play, in a listener's words.

For the player window (``gui.player_window``) and ``pressroom play``: call
:func:`refusal_words` with a :class:`pressroom.player.disk.Refusal`'s ``code`` (or a
``SecureError``'s), :func:`audio_missing_words` when QtMultimedia cannot load. The
refusal's own sentence (file names, "does not unwrap under this disk's identity") is the
Details text.
"""

from __future__ import annotations

from pressroom.station.words.plain import Words

ASK_SHOP = "Ask the shop that made it for a replacement."

_ALTERED = Words(
    "The disk was changed",
    "Part of this disk was changed or damaged after it was made.",
    ASK_SHOP,
)
_NOT_OURS = Words(
    "Not a Pressroom disk",
    "This is not a finished Pressroom disk, or it is damaged.",
    "Check that this is the right disk; otherwise ask the shop that made it.",
)
_UNKNOWN_SHOP = Words(
    "Made by an unknown shop",
    "This disk was made by a station this player does not recognise.",
    ASK_SHOP,
)
_OUTSIDE_RIGHTS = Words(
    "Made outside its rights",
    "This disk was made beyond what the publisher allowed.",
    ASK_SHOP,
)
_PLAY_STATE = Words(
    "Play count was tampered with",
    "This disk's record of plays was changed, copied from another disk or set back.",
    ASK_SHOP,
)

REFUSALS: dict[str, Words] = {
    "wrong-disk": Words(
        "Copied from another disk",
        "These songs were copied from the disk they were made for; they only play from that disk.",
        "Play the original disk.",
    ),
    "wrong-player": Words(
        "Made for another player",
        "This disk was made for another kind of player.",
        "Play it with the player the shop named.",
    ),
    "media-key": _ALTERED,
    "bad-signature": _ALTERED,
    "altered": _ALTERED,
    "bad-header": _ALTERED,
    "bad-chunk": _ALTERED,
    "bad-hash": _ALTERED,
    "truncated": _ALTERED,
    "trailing-data": _ALTERED,
    "format": _NOT_OURS,
    "directory": _NOT_OURS,
    "not-directory": _NOT_OURS,
    "too-large": _NOT_OURS,
    "too-complex": _NOT_OURS,
    "no-licence": Words(
        "Not a finished disk",
        "This disk was never finished: its copy was stopped part-way.",
        "Ask the shop to make it again.",
    ),
    "missing": Words(
        "A song is missing",
        "A song file is missing from this disk.",
        ASK_SHOP,
    ),
    "no-track": Words("No such song", "This disk has no song with that number.", ""),
    "station-uncertified": _UNKNOWN_SHOP,
    "untrusted": _UNKNOWN_SHOP,
    "station-revoked": Words(
        "Made by a withdrawn station",
        "The station that made this disk has been withdrawn by the publisher.",
        ASK_SHOP,
    ),
    "station-expired": _OUTSIDE_RIGHTS,
    "licence-revoked": Words(
        "Disk withdrawn",
        "The publisher has withdrawn this disk's permission to play.",
        ASK_SHOP,
    ),
    "grant-expired": _OUTSIDE_RIGHTS,
    "grant-early": _OUTSIDE_RIGHTS,
    "grant-exceeded": _OUTSIDE_RIGHTS,
    "grant-station": _OUTSIDE_RIGHTS,
    "grant-track": _OUTSIDE_RIGHTS,
    "grant-rights": _OUTSIDE_RIGHTS,
    "state-altered": _PLAY_STATE,
    "state-foreign": _PLAY_STATE,
    "state-rollback": _PLAY_STATE,
    "memory-altered": Words(
        "Player's memory was changed",
        "This player's memory of plays was changed.",
        "Ask whoever set up the player to reinstall it.",
    ),
    "memory-rollback": Words(
        "Player's memory was set back",
        "This player's memory of plays was set back to an older copy, so songs with a play "
        "limit or an end date do not play; the others do.",
        "Ask whoever set up the player to put back its newest memory.",
    ),
    "simulated-disk": Words(
        "A demo disk from another station",
        "This is a demo disk made on another station; it only plays there.",
        "",
    ),
    "expired": Words("Time is up", "The time allowed to play this song is over.", ""),
    "no-plays-left": Words("No plays left", "This song has been played as often as allowed.", ""),
    "io-error": Words(
        "The disk could not be read",
        "The disk could not be read.",
        "Take it out, plug it in again and try once more.",
    ),
    "symlink": _NOT_OURS,
    "fifo": _NOT_OURS,
    "socket": _NOT_OURS,
    "device": _NOT_OURS,
    "no-device": Words(
        "Not on a disk",
        "These files are not on a disk Pressroom can recognise: a folder of copied files "
        "never plays.",
        "Play the disk itself.",
    ),
    "not-disk-root": Words(
        "A folder inside a disk",
        "This folder is inside a disk, not the disk itself.",
        "Open the disk itself.",
    ),
    "no-serial": Words(
        "Serial number not readable",
        "This disk's serial number cannot be read here, so it cannot be played.",
        "Plug it in again; if that does not help, ask whoever set up this computer.",
    ),
    "serial-refused": Words(
        "Disk cannot be told apart",
        "This disk reports a serial number that many disks share, so it cannot be told apart "
        "from them and does not play.",
        ASK_SHOP,
    ),
    "changed": Words(
        "The disk changed while reading",
        "The disk changed while it was being read.",
        "Leave it plugged in and try again.",
    ),
}

_CANNOT_PLAY = Words("This disk cannot be played", "This disk cannot be played.", ASK_SHOP)


# What the player window says when nothing is wrong.
PLAYER = {
    "no-disk": "No disk open. Open the disk to play.",
    "pick": "Select a track and press Play (or the space bar).",
    "nothing-plays": "Nothing on this disk will play.",
    "authentic": "This disk is genuine.",
    "audio-failed": "The music could not be played on this computer's sound output.",
}


def refusal_words(code: str) -> Words:
    """Why a disk or a track will not play, from the refusal's code."""
    return REFUSALS.get(code, _CANNOT_PLAY)


def audio_missing_words() -> Words:
    """The computer cannot play sound: the same fact ``pressroom doctor`` reports."""
    return Words(
        "No sound on this computer",
        "This computer cannot play music yet: its sound support is not installed.",
        "Ask whoever set up the station to install it (the libpulse0 package); making and "
        "checking disks still works.",
    )


def player_refusal(code: str) -> str:
    """The one sentence the player shows for a refusal (its title and detail stay behind)."""
    return refusal_words(code).text
