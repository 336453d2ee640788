"""What the first-start wizard says when it is done, in a shop's words; the steps it took
(key ids, folders) are its Details."""

from __future__ import annotations

from typing import Literal

from pressroom.station.words.plain import Words

Choice = Literal["demo", "keys", "grant"]

DONE: dict[str, Words] = {
    "demo": Words(
        "The demo station is ready",
        "This station is set up for the demo: its keys, a demo album, demo disks and the "
        "right to make copies of it.",
        "Press Finish, then Start to make the first copies.",
    ),
    "keys": Words(
        "The station is set up",
        "This station's keys were made.",
        "Send the station's public key (Details) to your publisher to receive its "
        "certificate and rights for their music.",
    ),
    "grant": Words(
        "The rights were added",
        "The rights file was checked and added to this station.",
        "Press Finish, then import the music it covers.",
    ),
}


def setup_done(choice: Choice, *, with_grant: bool = False) -> Words:
    """The wizard's closing sentence for what was chosen."""
    if choice == "keys" and with_grant:
        keys, grant = DONE["keys"], DONE["grant"]
        return Words(keys.title, f"{keys.what} {grant.what}", grant.todo)
    return DONE[choice]
