"""Rights per track on a disk, and the range of rights a grant allows.

Times are integer Unix seconds (UTC). ``None`` means "no limit" for rights, and "the grant
does not restrict this" for limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from pressroom.errors import UsageError
from pressroom.secure import canonical
from pressroom.secure.canonical import Cbor
from pressroom.secure.errors import FormatError

DAY = 86_400


def _count(value: object, what: str) -> int | None:
    """An optional non-negative integer field."""
    n = canonical.expect_optional(value, int, what)
    if n is not None and n < 0:
        raise FormatError(f"{what} is negative.")
    return n


@dataclass(frozen=True)
class Rights:
    plays: int | None = None  # how many times each track may be played
    expires: int | None = None  # Unix time after which the track no longer plays
    preview_seconds: int | None = None  # only the first N seconds play
    export: bool = False  # may the player export the decrypted audio
    # each copy carries a forensic watermark naming it (delivered as marked FLAC); encoded
    # only when set, so unmarked licences keep their exact bytes
    marked: bool = False

    def to_cbor(self) -> dict[str, Cbor]:
        out: dict[str, Cbor] = {
            "plays": self.plays,
            "expires": self.expires,
            "preview": self.preview_seconds,
            "export": self.export,
        }
        if self.marked:
            out["marked"] = True
        return out

    @classmethod
    def from_cbor(cls, raw: Cbor, what: str = "rights") -> Rights:
        keys = ("plays", "expires", "preview", "export")
        marked = isinstance(raw, dict) and "marked" in raw
        m = canonical.expect_map(raw, what, (*keys, "marked") if marked else keys)
        if marked and m["marked"] is not True:
            raise FormatError(f"{what} marked must be true when present.")
        return cls(
            plays=_count(m["plays"], f"{what} plays"),
            expires=_count(m["expires"], f"{what} expires"),
            preview_seconds=_count(m["preview"], f"{what} preview"),
            export=canonical.expect(m["export"], bool, f"{what} export"),
            marked=marked,
        )

    def describe(self) -> str:
        parts = [
            "unlimited plays" if self.plays is None else f"{self.plays} plays",
            "no expiry" if self.expires is None else f"expires at {self.expires}",
        ]
        if self.preview_seconds is not None:
            parts.append(f"{self.preview_seconds} s preview")
        parts.append("export allowed" if self.export else "no export")
        if self.marked:
            parts.append("watermarked")
        return ", ".join(parts)


@dataclass(frozen=True)
class RightsLimits:
    """What a grant lets a station give. ``None`` fields do not restrict."""

    max_plays: int | None = None  # rights must set plays <= this
    max_days: int | None = None  # rights must expire within this many days of issue
    max_preview_seconds: int | None = None  # rights must be preview-only, at most this long
    export: bool = False  # may rights allow export
    # the publisher requires every copy to carry a forensic watermark (encoded only when set)
    marking: bool = False

    def to_cbor(self) -> dict[str, Cbor]:
        out: dict[str, Cbor] = {
            "max_plays": self.max_plays,
            "max_days": self.max_days,
            "max_preview": self.max_preview_seconds,
            "export": self.export,
        }
        if self.marking:
            out["marking"] = True
        return out

    @classmethod
    def from_cbor(cls, raw: Cbor, what: str = "rights limits") -> RightsLimits:
        keys = ("max_plays", "max_days", "max_preview", "export")
        marking = isinstance(raw, dict) and "marking" in raw
        m = canonical.expect_map(raw, what, (*keys, "marking") if marking else keys)
        if marking and m["marking"] is not True:
            raise FormatError(f"{what} marking must be true when present.")
        return cls(
            marking=marking,
            max_plays=canonical.expect_optional(m["max_plays"], int, f"{what} max_plays"),
            max_days=canonical.expect_optional(m["max_days"], int, f"{what} max_days"),
            max_preview_seconds=canonical.expect_optional(
                m["max_preview"], int, f"{what} max_preview"
            ),
            export=canonical.expect(m["export"], bool, f"{what} export"),
        )

    def violation(self, rights: Rights, issued_at: int) -> str | None:
        """Why ``rights`` exceed these limits, or None when they are within them."""
        if self.max_plays is not None and (rights.plays is None or rights.plays > self.max_plays):
            return f"the grant allows at most {self.max_plays} plays"
        if self.max_days is not None and (
            rights.expires is None or rights.expires > issued_at + self.max_days * DAY
        ):
            return f"the grant requires expiry within {self.max_days} days"
        if self.max_preview_seconds is not None and (
            rights.preview_seconds is None or rights.preview_seconds > self.max_preview_seconds
        ):
            return f"the grant allows only previews of {self.max_preview_seconds} s"
        if rights.export and not self.export:
            return "the grant does not allow export"
        if self.marking and not rights.marked:
            return "the grant requires watermarked copies"
        return None


PRESETS: dict[str, str] = {
    "standard": "unlimited plays, no expiry, no export",
    "rental-30d": "expires 30 days after the disk is made",
    "10-plays": "each track plays 10 times",
    "preview-30s": "only the first 30 seconds of each track play",
    "export": "unlimited plays, export allowed",
    "marked": "unlimited plays, no export, each copy carries a watermark naming it",
}

_SPEC = re.compile(r"^(plays|days|preview|export|mark)=([^,]+)$")


def parse_rights(spec: str, issued_at: int) -> Rights:
    """A preset name or ``plays=N,days=N,preview=N,export=yes|no,mark=yes|no``."""
    spec = spec.strip()
    if spec == "standard":
        return Rights()
    if spec == "rental-30d":
        return Rights(expires=issued_at + 30 * DAY)
    if spec == "10-plays":
        return Rights(plays=10)
    if spec == "preview-30s":
        return Rights(preview_seconds=30)
    if spec == "export":
        return Rights(export=True)
    if spec == "marked":
        return Rights(marked=True)
    rights = Rights()
    for part in spec.split(","):
        match = _SPEC.match(part.strip())
        if not match:
            raise UsageError(
                f"Unknown rights {spec!r}: use a preset ({', '.join(PRESETS)}) or "
                "plays=N,days=N,preview=SECONDS,export=yes|no,mark=yes|no."
            )
        name, value = match.groups()
        if name in ("export", "mark"):
            if value not in ("yes", "no"):
                raise UsageError(f"{name} must be 'yes' or 'no'.")
            if name == "export":
                rights = replace(rights, export=value == "yes")
            else:
                rights = replace(rights, marked=value == "yes")
            continue
        if not value.isdigit() or int(value) <= 0:
            raise UsageError(f"{name} must be a positive whole number, not {value!r}.")
        n = int(value)
        if name == "plays":
            rights = replace(rights, plays=n)
        elif name == "days":
            rights = replace(rights, expires=issued_at + n * DAY)
        else:
            rights = replace(rights, preview_seconds=n)
    return rights
