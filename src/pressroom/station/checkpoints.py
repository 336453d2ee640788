"""Signed checkpoints of the ledger, anchored outside it; rollback and fork refused.

A checkpoint (``pressroom.secure.checkpoint``) is made at the end of every run, with every
report and on demand. The newest is kept outside the ledger database: in the keys
directory and, where a secure backend exists, in the OS keyring (:mod:`pressroom.anchors`).
Before every run the ledger must *extend* it: the event at its seq still has its hash,
and no grant's counters are below its marks. A ledger that was rolled back, rewritten or
replaced does not, and the station refuses to make disks until an operator records a
recovery (:meth:`CheckpointService.recover`), which is itself signed and chained.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pressroom.anchors import KeyringText, TextFile, keyring_or_none
from pressroom.errors import SetupError, UsageError, VerificationFailed
from pressroom.ledger import ChainReport, Ledger
from pressroom.ledger.checkpoints import LEDGER_RECOVERED, LedgerState
from pressroom.ledger.models import ReservationKind
from pressroom.secure.checkpoint import (
    Checkpoint,
    GrantMarks,
    Recovery,
    load_checkpoint,
    load_own_checkpoint,
    sign_checkpoint,
)
from pressroom.secure.errors import SecureError
from pressroom.station.parts import Parts

log = logging.getLogger(__name__)

ANCHOR_FILE: Final = "checkpoint.b64"
KEYRING_SERVICE: Final = "pressroom/ledger-checkpoint"
ANCHOR_LIMIT: Final = 1 << 20
CARRIED_DRIVE: Final = "carried-over"


class LedgerRolledBack(SetupError):
    """The ledger does not extend the station's anchored checkpoint: no disks are made."""


@dataclass(frozen=True)
class Extension:
    """Whether the ledger extends a checkpoint, and if not, why (one sentence)."""

    ok: bool
    reason: str
    checkpoint: Checkpoint | None = None


@dataclass(frozen=True)
class CheckpointProof:
    """``ledger verify --checkpoint``: the chain verified, and whether it extends the file."""

    chain: ChainReport
    extension: Extension

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.extension.ok


def extends(ledger: Ledger, cp: Checkpoint, state: LedgerState | None = None) -> Extension:
    """Whether ``ledger`` holds what ``cp`` stated: the same chain at its seq, and every
    grant's counters at or above its marks (a deleted ledger starts them from zero)."""
    state = ledger.checkpoint_state() if state is None else state
    name = cp.label
    if cp.seq > state.seq:
        return Extension(
            False,
            f"the ledger ends at event {state.seq} but {name} was made at event {cp.seq} "
            "(it was rolled back or replaced)",
            cp,
        )
    if cp.seq > 0 and state.ledger != cp.ledger:
        return Extension(False, f"this is another ledger than the one {name} was made on", cp)
    found = ledger.hash_at(cp.seq)
    if found != cp.head:
        return Extension(
            False,
            f"event {cp.seq} of the ledger has hash {str(found)[:12]}, not the head of {name} "
            "(the history was rewritten)",
            cp,
        )
    counters = {c.grant: c for c in state.grants}
    for marks in cp.grants:
        now = counters.get(marks.grant)
        if now is None or now.copies_issued < marks.copies_issued:
            have = 0 if now is None else now.copies_issued
            return Extension(
                False,
                f"grant {marks.grant[:8]} has issued {have} copies but {name} records "
                f"{marks.copies_issued}",
                cp,
            )
        if now.replacements_issued < marks.replacements_issued:
            return Extension(
                False,
                f"grant {marks.grant[:8]} has issued {now.replacements_issued} replacements "
                f"but {name} records {marks.replacements_issued}",
                cp,
            )
    return Extension(True, f"the ledger extends {name}", cp)


class CheckpointService:
    def __init__(self, parts: Parts) -> None:
        self._parts = parts
        # A run's end (a worker thread) and a report (the GUI's pool) may sign at once;
        # one at a time, so the anchors are written whole and never go back.
        self._lock = threading.RLock()

    # --- the anchors -----------------------------------------------------------------

    def _anchors(self) -> list[TextFile | KeyringText]:
        ks = self._parts.keystore
        places: list[TextFile | KeyringText] = [TextFile(ks.root / ANCHOR_FILE, ANCHOR_LIMIT)]
        backend = keyring_or_none()
        if backend is not None:
            user = ks.station_id().hex()
            places.append(KeyringText(backend, KEYRING_SERVICE, user, ANCHOR_LIMIT))
        return places

    def anchored(self) -> Checkpoint | None:
        """The newest checkpoint this station anchored (a recovery supersedes what it
        replaces); anchors that do not hold this station's signed checkpoint are ignored."""
        ks = self._parts.keystore
        if not ks.has_station():
            return None
        public = ks.station_key().public_key()
        found: list[Checkpoint] = []
        for place in self._anchors():
            text = place.read()
            if text is None:
                continue
            try:
                found.append(load_own_checkpoint(base64.b64decode(text, validate=True), public))
            except (SecureError, binascii.Error, ValueError) as exc:
                log.warning("%s does not hold a checkpoint of this station: %s", place.where, exc)
        replaced = {c.recovery.replaces for c in found if c.recovery is not None}
        live = [c for c in found if c.digest not in replaced] or found
        return max(live, key=lambda c: (c.seq, c.at), default=None)

    def _anchor(self, cp: Checkpoint) -> None:
        text = base64.b64encode(cp.raw).decode("ascii")
        for place in self._anchors():
            place.write(text)

    # --- making one ------------------------------------------------------------------

    def make(self, *, force_anchor: bool = False) -> Checkpoint:
        """Sign the ledger's head and counters now; anchor it unless it would go back
        (``force_anchor``: a recorded recovery replaces the anchored checkpoint)."""
        with self._lock:
            return self._make(force_anchor)

    def _make(self, force_anchor: bool) -> Checkpoint:
        recovery: Recovery | None = None
        ks = self._parts.keystore
        key = ks.station_key()
        cert = ks.station_cert_bytes()
        state = self._parts.ledger.checkpoint_state()
        if state.recovered is not None:  # every later checkpoint says where it came from
            r = state.recovered
            recovery = Recovery(r["replaces"], r["ledger"], r["seq"], r["head"], r["reason"])
        cp = Checkpoint(
            station=ks.station_id().hex(),
            ledger=state.ledger,
            seq=state.seq,
            head=state.head,
            at=int(time.time()),
            grants=tuple(
                GrantMarks(
                    c.grant,
                    c.copies_used,
                    c.copies_issued,
                    c.replacements_used,
                    c.replacements_issued,
                )
                for c in state.grants
            ),
            cert=cert,
            recovery=recovery,
        )
        raw = sign_checkpoint(key, cp)
        signed = load_own_checkpoint(raw, key.public_key())
        old = None if force_anchor else self.anchored()
        if old is None or extends(self._parts.ledger, old, state).ok:
            self._anchor(signed)
        return signed

    def write(self, out: Path) -> Checkpoint:
        cp = self.make()
        try:
            out.write_bytes(cp.raw)
        except OSError as exc:
            raise UsageError(f"Cannot write {out}: {exc.strerror}.") from None
        return cp

    # --- checking --------------------------------------------------------------------

    def check(self) -> Extension:
        """Whether the ledger extends the anchored checkpoint (no checkpoint yet: it does)."""
        cp = self.anchored()
        if cp is None:
            return Extension(True, "no checkpoint is anchored yet")
        return extends(self._parts.ledger, cp)

    def require(self) -> None:
        """Refuse to make disks on a ledger that does not extend the anchored checkpoint."""
        ext = self.check()
        if not ext.ok:
            raise LedgerRolledBack(
                f"This station makes no disks until its ledger extends {_expected(ext)}: "
                f"{ext.reason}; if the ledger was genuinely lost, record that with "
                "'pressroom ledger recover --reason ...'."
            )

    def prove(self, data: bytes) -> CheckpointProof:
        """``ledger verify --checkpoint``: verify the whole chain, then that it extends a
        checkpoint kept elsewhere (any certified station's, checked against the
        publishers this station trusts)."""
        try:
            cp, _cert = load_checkpoint(data, self._parts.keystore.trusted_publishers())
        except SecureError as exc:
            raise VerificationFailed(f"The checkpoint file does not verify: {exc}") from None
        ledger = self._parts.ledger
        report = ledger.verify_chain()
        return CheckpointProof(report, extends(ledger, cp))

    # --- recovery --------------------------------------------------------------------

    def recover(self, reason: str, operator: str) -> Checkpoint:
        """Record that the ledger was lost and this one continues: a signed, chained act.

        Every grant the lost checkpoint names must be imported first; its counters then
        continue from the checkpoint's marks (the copies issued there are carried over as
        burned copies, so their indices are never handed out again)."""
        if not reason.strip():
            raise UsageError("Say why the ledger is being recovered: --reason '...'.")
        old = self.anchored()
        if old is None:
            raise UsageError("No checkpoint is anchored; there is nothing to recover from.")
        ledger = self._parts.ledger
        if extends(ledger, old).ok:
            raise UsageError(f"The ledger extends {old.label}; there is nothing to recover.")
        recorded = {c.grant for c in ledger.checkpoint_state().grants}
        missing = [m.grant for m in old.grants if m.grant not in recorded]
        if missing:
            raise UsageError(
                f"Import grant {missing[0][:8]} first ({len(missing)} grant(s) of {old.label} "
                "are not in this ledger); its count continues from the checkpoint."
            )
        payload: dict[str, Any] = {
            "replaces": old.digest,
            "seq": old.seq,
            "head": old.head,
            "ledger": old.ledger,
            "station": old.station,
            "reason": reason,
            "operator": operator,
            "checkpoint": base64.b64encode(old.raw).decode("ascii"),
        }
        ledger.append_event(LEDGER_RECOVERED, payload)
        station = self._parts.keystore.station_id().hex()
        for marks in old.grants:
            self._carry(ledger, marks.grant, "sale", marks.copies_issued, station, old)
            self._carry(ledger, marks.grant, "replacement", marks.replacements_issued, station, old)
        return self.make(force_anchor=True)

    @staticmethod
    def _carry(
        ledger: Ledger,
        grant_id: str,
        kind: ReservationKind,
        issued: int,
        station: str,
        old: Checkpoint,
    ) -> None:
        now = {c.grant: c for c in ledger.checkpoint_state().grants}[grant_id]
        have = now.copies_issued if kind == "sale" else now.replacements_issued
        why = f"carried over from {old.label} after a recorded ledger recovery"
        for _ in range(max(0, issued - have)):
            res = ledger.reserve(
                grant_id, run_id=None, drive_id=CARRIED_DRIVE, kind=kind, station_id=station
            )
            if res is None:
                return
            ledger.burn(res, why)


def _expected(ext: Extension) -> str:
    return "anchored checkpoint" if ext.checkpoint is None else ext.checkpoint.label
