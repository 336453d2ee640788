"""`pressroom bench [SUITE] [--json]`: speed and memory as ratios to same-run baselines."""

from __future__ import annotations

import argparse
import importlib
import json

from pressroom.errors import EXIT_FAILED

# suite name -> module with run(**kw) -> dict (each dict has "pass")
SUITES = {
    "crypto": "pressroom.bench.crypto",
    "engine": "pressroom.bench.engine",
    "identity": "pressroom.bench.identity",
    "gui": "pressroom.gui.bench_gui",
    "watermark": "pressroom.bench.watermark",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure throughput and memory against baselines")
    p.add_argument("suite", nargs="?", choices=["all", *SUITES], default="all")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    p.set_defaults(func=cmd_bench)


def available() -> dict[str, object]:
    found = {}
    for name, module in SUITES.items():
        try:
            found[name] = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return found


def cmd_bench(args: argparse.Namespace) -> int:
    suites = available()
    chosen = list(suites) if args.suite == "all" else [args.suite]
    results = {}
    for name in chosen:
        module = suites.get(name)
        if module is None:
            results[name] = {"suite": name, "pass": False, "error": "suite not built yet"}
            continue
        kw = module.QUICK if args.quick and hasattr(module, "QUICK") else {}
        results[name] = module.run(**kw)
    ok = all(r.get("pass") for r in results.values())
    if args.json:
        print(json.dumps(results if len(results) > 1 else next(iter(results.values())), indent=2))
    else:
        for name, r in results.items():
            print(f"[{name}] {'PASS' if r.get('pass') else 'MISS'}")
            for key, value in r.items():
                if not isinstance(value, list | dict):
                    print(f"  {key:<28} {value}")
    return 0 if ok else EXIT_FAILED
