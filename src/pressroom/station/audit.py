"""The rights holder's audit: signed reports, checkpoints and disks, checked offline.

Needs only the publisher's public keys: every checkpoint carries its station certificate,
every report its checkpoint and the station's signature, every licence its certificate.
No station database is read (this module imports nothing of the ledger). What it finds:

- ``unverified``: a file whose signature or certificate does not verify (its content is
  then not used for anything else);
- ``beyond-grant``: more copies of a grant counted or found than the grant allows;
- ``index-twice``: one copy index of a grant on two different licences;
- ``fork``: two heads for one event of one ledger, or of one station without a recorded
  recovery between them;
- ``rollback``: a later checkpoint of one ledger with a grant counter below an earlier one;
- ``gap``: copies a checkpoint counted that no report lists;
- ``unreported``: a licence found on a disk that no report contains;
- ``recovery`` (a note, not a fault): a ledger recovery the station recorded.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pressroom.secure.cert import load_station_cert
from pressroom.secure.checkpoint import Checkpoint, load_checkpoint, verify_report
from pressroom.secure.errors import SecureError
from pressroom.secure.grant import load_grant
from pressroom.secure.licence import LICENCE_FILE, parse_licence

MAX_FILE: Final = 64 << 20
CSV_CHECKPOINT: Final = "# pressroom-checkpoint "  # as pressroom.ledger.reports writes them
CSV_SIGNATURE: Final = "# pressroom-signature "
NOTES: Final = ("recovery",)


@dataclass(frozen=True)
class Finding:
    kind: str
    sentence: str
    source: str = ""

    @property
    def fault(self) -> bool:
        return self.kind not in NOTES


@dataclass(frozen=True)
class Copy:
    """One licence as a report lists it or a disk holds it."""

    licence: str
    grant: str
    copy_index: int | None
    station: str
    result: str  # pass | fail | disk
    source: str
    kind: str = "sale"  # sale | replacement: a copy index counts per kind


@dataclass
class Evidence:
    checkpoints: list[tuple[Checkpoint, str]] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)
    limits: dict[str, int] = field(default_factory=dict)  # grant -> copies allowed
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    reports: int = 0
    disks: int = 0


@dataclass(frozen=True)
class AuditReport:
    files: int
    reports: int
    checkpoints: int
    disks: int
    stations: tuple[str, ...]
    grants: dict[str, dict[str, int]]  # grant -> {"limit", "issued", "licences"}
    findings: tuple[Finding, ...]

    @property
    def clean(self) -> bool:
        return not any(f.fault for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["clean"] = self.clean
        out["stations"] = list(self.stations)
        return out


# --- reading files -----------------------------------------------------------------------


def _read(path: Path) -> bytes:
    with path.open("rb") as fh:
        data = fh.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise SecureError(f"{path.name} is larger than {MAX_FILE} bytes.")
    return data


def _b64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise SecureError(f"The {what} is missing.")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SecureError(f"The {what} is not base64.") from None


def _split_csv(text: str) -> tuple[str, dict[str, str]]:
    rows, trailer = [], {}
    for line in text.splitlines(keepends=True):
        for tag, name in ((CSV_CHECKPOINT, "checkpoint"), (CSV_SIGNATURE, "signature")):
            if line.startswith(tag):
                trailer[name] = line[len(tag) :].strip()
                break
        else:
            rows.append(line)
    return "".join(rows), trailer


def checkpoint_of_file(path: Path) -> bytes:
    """The checkpoint bytes in a checkpoint file, or carried by a JSON or CSV report."""
    data = _read(path)
    head = data.lstrip()[:1]
    if head == b"{":
        try:
            doc = json.loads(data)
        except ValueError:
            raise SecureError(f"{path.name} is not a JSON report.") from None
        return _b64(doc.get("checkpoint") if isinstance(doc, dict) else None, "checkpoint")
    if data.startswith(b"run_id,"):
        _rows, trailer = _split_csv(data.decode("utf-8", "replace"))
        return _b64(trailer.get("checkpoint"), "checkpoint")
    return data


def _copy_of(row: Mapping[str, Any], source: str) -> Copy | None:
    licence, grant = row.get("licence_id"), row.get("grant_id")
    if not licence or not grant:
        return None
    index = row.get("copy_index")
    try:
        copy_index = None if index in (None, "") else int(index)
    except (TypeError, ValueError):
        copy_index = None
    return Copy(
        str(licence),
        str(grant),
        copy_index,
        str(row.get("station_id") or ""),
        str(row.get("result") or ""),
        source,
        str(row.get("kind") or "sale"),
    )


def add_file(ev: Evidence, path: Path, trusted: Mapping[bytes, Ed25519PublicKey]) -> None:
    """A checkpoint file or a signed JSON or CSV report: verified, then used."""
    ev.files += 1
    try:
        data = _read(path)
        head = data.lstrip()[:1]
        if head == b"{":
            _add_json(ev, path, data, trusted)
        elif data.startswith(b"run_id,"):
            _add_csv(ev, path, data.decode("utf-8", "replace"), trusted)
        else:
            cp, _cert = load_checkpoint(data, trusted)
            ev.checkpoints.append((cp, path.name))
    except (SecureError, OSError, ValueError, UnicodeDecodeError) as exc:
        ev.findings.append(Finding("unverified", f"{path.name} does not verify: {exc}", path.name))


def _add_json(
    ev: Evidence, path: Path, data: bytes, trusted: Mapping[bytes, Ed25519PublicKey]
) -> None:
    doc = json.loads(data)
    if not isinstance(doc, dict):
        raise SecureError("it is not a report")
    signature = _b64(doc.pop("signature", None), "report's signature")
    cp, cert = load_checkpoint(_b64(doc.get("checkpoint"), "checkpoint"), trusted)
    verify_report(signature, doc, cert)
    ev.checkpoints.append((cp, path.name))
    ev.reports += 1
    for g in doc.get("grants") or []:
        if isinstance(g, dict) and isinstance(g.get("copies"), int):
            ev.limits.setdefault(str(g.get("grant_id")), g["copies"])
    for d in doc.get("disks") or []:
        c = _copy_of(d, path.name) if isinstance(d, dict) else None
        if c is not None:
            ev.copies.append(c)


def _add_csv(
    ev: Evidence, path: Path, text: str, trusted: Mapping[bytes, Ed25519PublicKey]
) -> None:
    rows, trailer = _split_csv(text)
    signature = _b64(trailer.get("signature"), "report's signature")
    cp_text = trailer.get("checkpoint", "")
    cp, cert = load_checkpoint(_b64(cp_text, "checkpoint"), trusted)
    verify_report(signature, {"csv": rows, "checkpoint": cp_text}, cert)
    ev.checkpoints.append((cp, path.name))
    ev.reports += 1
    for row in csv.DictReader(io.StringIO(rows)):
        c = _copy_of(row, path.name)
        if c is not None:
            ev.copies.append(c)


def add_grant(ev: Evidence, path: Path, trusted: Mapping[bytes, Ed25519PublicKey]) -> None:
    """A grant file: its limit is the publisher's word, over what reports restate."""
    try:
        grant = load_grant(_read(path), dict(trusted))
    except (SecureError, OSError) as exc:
        ev.findings.append(Finding("unverified", f"{path.name} does not verify: {exc}", path.name))
        return
    ev.limits[grant.id_hex] = grant.copies


def _licence_files(path: Path) -> Iterable[Path]:
    """Licence files: the path itself, or PRESSROOM/licence.prl up to three folders down
    (a mount, a folder of mounts, a folder of simulated disks); links are not followed."""
    if path.is_file():
        yield path
        return
    root = path.resolve()
    for depth in range(4):
        pattern = "/".join(["*"] * depth + [LICENCE_FILE])
        for found in sorted(path.glob(pattern)):
            rel = found.relative_to(path)
            chain = [path.joinpath(*rel.parts[: i + 1]) for i in range(len(rel.parts))]
            if any(p.is_symlink() for p in chain) or root not in found.resolve().parents:
                continue
            if found.is_file():
                yield found


def add_disks(ev: Evidence, path: Path, trusted: Mapping[bytes, Ed25519PublicKey]) -> None:
    """Licences on a mounted disk, a folder of mounts, or licence files."""
    for file in _licence_files(path):
        ev.disks += 1
        name = str(file)
        try:
            env, lic = parse_licence(_read(file))
            cert = load_station_cert(lic.station_cert, dict(trusted))
            if env.kid != cert.station:
                raise SecureError("it is signed by a key its certificate does not certify")
            env.verify(cert.station_key, "licence")
            grant_id = load_grant(lic.grant, dict(trusted)).id_hex  # the licence carries it
        except (SecureError, OSError) as exc:
            ev.findings.append(Finding("unverified", f"the licence {name} does not verify: {exc}"))
            continue
        ev.copies.append(
            Copy(lic.id_hex, grant_id, lic.copy_index, cert.station.hex(), "disk", name, lic.kind)
        )


# --- the checks --------------------------------------------------------------------------


def audit(ev: Evidence, grant: str | None = None) -> AuditReport:
    """Every check over what was collected; ``grant`` (an id or prefix) narrows to one."""
    findings = list(ev.findings)
    cps = _unique(ev.checkpoints)
    copies = [c for c in ev.copies if grant is None or c.grant.startswith(grant)]
    findings += _forks(cps)
    findings += _rollbacks(cps)
    issued = _highest(cps, grant, "copies_issued")
    used = _highest(cps, grant, "copies_used")
    grants: dict[str, dict[str, int]] = {}
    reported = {c.licence for c in copies if c.result != "disk"}
    for g in sorted({*issued, *(c.grant for c in copies)}):
        mine = [c for c in copies if c.grant == g and c.kind == "sale"]
        licences = {c.licence for c in mine if c.result in ("pass", "disk")}
        limit = ev.limits.get(g)
        grants[g] = {"limit": -1 if limit is None else limit, "issued": issued.get(g, 0)}
        grants[g]["licences"] = len(licences)
        held = used.get(g, 0)  # issued may pass the limit: a released index is reused
        if limit is not None and max(len(licences), held) > limit:
            findings.append(
                Finding(
                    "beyond-grant",
                    f"grant {g[:8]} allows {limit} copies, but {len(licences)} licences were "
                    f"found and the checkpoints count {held} held",
                )
            )
        by_index: dict[tuple[str, int], set[str]] = defaultdict(set)
        for c in copies:
            if c.grant == g and c.copy_index is not None and c.result in ("pass", "disk"):
                by_index[(c.kind, c.copy_index)].add(c.licence)
        for (kind, index), lics in sorted(by_index.items()):
            if len(lics) > 1:
                names = ", ".join(sorted(x[:12] for x in lics))
                what = "copy" if kind == "sale" else "replacement"
                findings.append(
                    Finding("index-twice", f"{what} {index} of grant {g[:8]} is on {names}")
                )
        listed = {c.copy_index for c in mine if c.copy_index is not None and c.result != "disk"}
        if used.get(g, 0) > len(listed):
            findings.append(
                Finding(
                    "gap",
                    f"grant {g[:8]}: the checkpoints count {used.get(g, 0)} copies held but the "
                    f"reports list only {len(listed)} copy numbers",
                )
            )
    for c in copies:
        if c.result == "disk" and c.licence not in reported:
            findings.append(
                Finding(
                    "unreported",
                    f"the licence {c.licence[:12]} (copy {c.copy_index} of grant {c.grant[:8]}) "
                    f"on {c.source} is in no report",
                    c.source,
                )
            )
    for cp, source in cps:
        if cp.recovery is not None:
            findings.append(
                Finding(
                    "recovery",
                    f"station {cp.station[:12]} recorded a ledger recovery replacing checkpoint "
                    f"{cp.recovery.seq} (head {cp.recovery.head[:12]}): {cp.recovery.reason}",
                    source,
                )
            )
    return AuditReport(
        files=ev.files,
        reports=ev.reports,
        checkpoints=len(cps),
        disks=ev.disks,
        stations=tuple(sorted({cp.station for cp, _ in cps})),
        grants=grants,
        findings=tuple(findings),
    )


def _unique(cps: list[tuple[Checkpoint, str]]) -> list[tuple[Checkpoint, str]]:
    seen: dict[str, tuple[Checkpoint, str]] = {}
    for cp, source in cps:
        seen.setdefault(cp.digest, (cp, source))
    return list(seen.values())


def _linked(cps: list[tuple[Checkpoint, str]]) -> set[frozenset[str]]:
    """Pairs of ledgers a recorded recovery links (the lost one and its successor)."""
    return {frozenset((cp.recovery.ledger, cp.ledger)) for cp, _ in cps if cp.recovery is not None}


def _forks(cps: list[tuple[Checkpoint, str]]) -> list[Finding]:
    out: list[Finding] = []
    linked = _linked(cps)
    by_ledger: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    by_station: dict[tuple[str, int], dict[str, Checkpoint]] = defaultdict(dict)
    for cp, source in cps:
        by_ledger[(cp.ledger, cp.seq)].setdefault(cp.head, source)
        by_station[(cp.station, cp.seq)].setdefault(cp.head, cp)
    for (ledger, seq), heads in sorted(by_ledger.items()):
        if len(heads) > 1:
            where = "; ".join(f"{h[:12]} in {s}" for h, s in sorted(heads.items()))
            out.append(
                Finding("fork", f"ledger {ledger[:12]} has two heads at event {seq}: {where}")
            )
    for (station, seq), cps_at in sorted(by_station.items()):
        ledgers = {c.ledger for c in cps_at.values()}
        if len(cps_at) > 1 and len(ledgers) > 1 and frozenset(ledgers) not in linked:
            out.append(
                Finding(
                    "fork",
                    f"station {station[:12]} signed two heads for event {seq} on different "
                    "ledgers, and recorded no recovery between them",
                )
            )
    return out


def _rollbacks(cps: list[tuple[Checkpoint, str]]) -> list[Finding]:
    out: list[Finding] = []
    by_ledger: dict[str, list[tuple[Checkpoint, str]]] = defaultdict(list)
    for cp, source in cps:
        by_ledger[cp.ledger].append((cp, source))
    for items in by_ledger.values():
        items.sort(key=lambda x: x[0].seq)
        high: dict[str, tuple[int, Checkpoint]] = {}
        for cp, source in items:
            for m in cp.grants:
                before = high.get(m.grant)
                if before is not None and m.copies_issued < before[0]:
                    out.append(
                        Finding(
                            "rollback",
                            f"{cp.label} counts {m.copies_issued} copies of grant "
                            f"{m.grant[:8]} issued, fewer than the {before[0]} of "
                            f"{before[1].label}",
                            source,
                        )
                    )
                if before is None or m.copies_issued >= before[0]:
                    high[m.grant] = (m.copies_issued, cp)
    return out


def _highest(cps: list[tuple[Checkpoint, str]], grant: str | None, counter: str) -> dict[str, int]:
    """A counter per grant: the highest of each ledger, summed over ledgers that no
    recorded recovery joins (a recovered ledger carries the lost one's count)."""
    linked = _linked(cps)
    groups: dict[str, str] = {}
    for pair in linked:
        a, b = sorted(pair)
        groups[b] = groups.get(a, a)
    best: dict[tuple[str, str], int] = {}
    for cp, _ in cps:
        root = groups.get(cp.ledger, cp.ledger)
        for m in cp.grants:
            if grant is None or m.grant.startswith(grant):
                key = (root, m.grant)
                best[key] = max(best.get(key, 0), int(getattr(m, counter)))
    total: dict[str, int] = defaultdict(int)
    for (_root, g), n in best.items():
        total[g] += n
    return dict(total)


def load_publisher(path: Path) -> tuple[bytes, Ed25519PublicKey]:
    """A publisher's public key (PEM), as the rights holder keeps it."""
    from cryptography.hazmat.primitives import serialization

    from pressroom.secure.keys import key_id, raw_public

    try:
        key = serialization.load_pem_public_key(_read(path))
    except (OSError, ValueError) as exc:
        raise SecureError(f"{path.name} is not a public key file ({exc}).") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SecureError(f"{path.name} holds the wrong kind of key (Ed25519 expected).")
    return key_id(raw_public(key)), key


def run_audit(
    files: Iterable[Path],
    trusted: Mapping[bytes, Ed25519PublicKey],
    *,
    disks: Iterable[Path] = (),
    grant_files: Iterable[Path] = (),
    grant: str | None = None,
) -> AuditReport:
    """Collect and check everything given (what ``pressroom audit`` does)."""
    ev = Evidence()
    for g in grant_files:
        add_grant(ev, g, trusted)
    for f in files:
        add_file(ev, f, trusted)
    for d in disks:
        add_disks(ev, d, trusted)
    return audit(ev, grant)
