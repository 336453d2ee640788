"""Settings in a shop's words: each setting's label, a one-line hint, and its choices.

The stored values (``refuse``, ``media``, ``concurrency_per_bus``) stay data: the
settings file, the environment and the command line keep them; the window shows the
labels here and stores the value of the chosen label.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    value: str  # what the settings file stores
    label: str  # what the operator reads


@dataclass(frozen=True)
class Setting:
    key: str  # the field of pressroom.config.Settings
    label: str
    hint: str
    choices: tuple[Choice, ...] = ()

    def label_of(self, value: str) -> str:
        """The label of a stored value (the value itself when it has none)."""
        return next((c.label for c in self.choices if c.value == value), value)


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting(
            "data_dir",
            "Data folder",
            "Where this station keeps its keys, records and catalog; chosen when Pressroom starts.",
        ),
        Setting(
            "ledger_url",
            "Shared records",
            "Empty: this station keeps its own records. A database address lets several "
            "stations share their copy counts.",
        ),
        Setting(
            "identity_policy",
            "Doubtful disks",
            "Disks whose serial number may not be their own (card readers, possible fakes).",
            (
                Choice("refuse", "Do not write them (safest)"),
                Choice("warn", "Write them, with a warning on the card"),
            ),
        ),
        Setting(
            "concurrency_per_bus",
            "Disks written at once",
            "The most disks one USB controller writes at the same time; the station finds "
            "the fastest number below it by itself.",
        ),
        Setting(
            "verify_mode",
            "Check each copy",
            "Every copy is read back and checked before it counts.",
            (
                Choice("media", "From the disk itself where possible"),
                Choice("strict", "Only from the disk itself (otherwise it fails)"),
            ),
        ),
        Setting("operator", "Operator", "The name written into each run's record."),
        Setting("station_label", "Station name", "Shown in reports and on the station's card."),
    )
}


def setting(key: str) -> Setting:
    return SETTINGS[key]
