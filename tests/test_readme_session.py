"""The README's session block runs as written: each command with the exit code its
comment promises (0 unless the comment says "exit 1"), in a temporary shop."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "@@rc="


def session_block() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("A session from nothing")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert block, "the README has no session block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_session_runs_as_written(tmp_path):
    lines = session_block()
    assert lines[0] == ". .venv/bin/activate"  # the one line a test cannot run as written
    script = [f'pressroom() {{ "{sys.executable}" -m pressroom "$@"; }}']
    expected = []
    for line in lines[1:]:
        script.append(f'{line}\necho "{MARK}$?"')
        command = line.split("   #")[0].split("  #")[0]
        expected.append((command.strip(), 1 if "exit 1" in line else 0))
    env = dict(os.environ, TMPDIR=str(tmp_path))  # mktemp -d lands in the test's folder
    env.pop("PRESSROOM_DATA_DIR", None)
    out = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    codes = [int(m) for m in re.findall(rf"^{MARK}(\d+)$", out.stdout, re.M)]
    assert len(codes) == len(expected), out.stdout + out.stderr
    for (command, want), got in zip(expected, codes, strict=True):
        assert (got != 0) == (want != 0), f"{command!r} exited {got}\n{out.stdout}{out.stderr}"
    assert "Traceback" not in out.stdout + out.stderr
    assert "PASS: the disk authenticates completely" in out.stdout
    assert "REFUSED:" in out.stdout
    assert list(tmp_path.iterdir()), "the shop was not made in the temporary folder"
