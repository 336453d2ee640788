"""`pressroom bench [SUITE] [--json]`: speed and memory as ratios to same-run baselines."""

from __future__ import annotations

import argparse
import importlib
import json
from types import ModuleType

from pressroom.errors import EXIT_FAILED, UsageError

# suite name -> module with run(**kw) -> dict (each dict has "pass")
SUITES = {
    "crypto": "pressroom.bench.crypto",
    "engine": "pressroom.bench.engine",
    "identity": "pressroom.bench.identity",
    "gui": "pressroom.gui.bench_gui",
    "realpath": "pressroom.bench.realpath",  # also part of "engine"; alone: just this
    "watermark": "pressroom.bench.watermark",
    "pacer": "pressroom.bench.pacer",  # the simulator's own accuracy at tower scale
}
IN_ALL = ("crypto", "engine", "gui")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure throughput and memory against baselines")
    p.add_argument("suite", nargs="?", choices=["all", *SUITES], default="all")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    p.add_argument("--disks", type=int, metavar="N", help="number of disks (gui and pacer suites)")
    p.add_argument(
        "--backing",
        metavar="FS,...",
        help="file systems for the real-path scenario (root; default ext4,exfat,fat32)",
    )
    p.set_defaults(func=cmd_bench)


def available() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for name, module in SUITES.items():
        try:
            found[name] = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return found


def _filesystems(text: str) -> tuple[str, ...]:
    from pressroom.drives.loopback import FILESYSTEMS

    fss = tuple(f.strip() for f in text.split(",") if f.strip())
    bad = [f for f in fss if f not in FILESYSTEMS]
    if bad or not fss:
        raise UsageError(
            f"--backing takes file systems among {', '.join(FILESYSTEMS)} (got {text!r})."
        )
    return fss


def cmd_bench(args: argparse.Namespace) -> int:
    suites = available()
    chosen = [s for s in IN_ALL if s in suites] if args.suite == "all" else [args.suite]
    results = {}
    for name in chosen:
        module = suites.get(name)
        if module is None:
            results[name] = {"suite": name, "pass": False, "error": "suite not built yet"}
            continue
        kw = dict(module.QUICK) if args.quick and hasattr(module, "QUICK") else {}
        if args.backing and name in ("engine", "realpath"):
            fss = _filesystems(args.backing)
            if name == "engine":
                kw["real_path"] = {**kw.get("real_path", {}), "filesystems": fss}
            else:
                kw["filesystems"] = fss
        if args.disks is not None:
            if not 1 <= args.disks <= 512:
                raise UsageError("--disks takes a number of disks between 1 and 512.")
            if name in ("gui", "pacer"):
                kw["disks"] = args.disks
        results[name] = module.run(**kw)
    ok = all(r.get("pass") is not False for r in results.values())
    if args.json:
        print(json.dumps(results if len(results) > 1 else next(iter(results.values())), indent=2))
    else:
        for name, r in results.items():
            passed = r.get("pass")
            verdict = "SKIPPED" if passed is None else ("PASS" if passed else "MISS")
            print(f"[{name}] {verdict}")
            for key, value in r.items():
                if not isinstance(value, list | dict):
                    print(f"  {key:<28} {value}")
    return 0 if ok else EXIT_FAILED
