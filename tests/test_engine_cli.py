"""`pressroom run` and `pressroom demo` end to end, in-process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from pressroom.cli import main


def test_demo_makes_eight_verified_disks_and_a_report(capsys, tmp_path):
    assert main(["demo"]) == 0
    out = capsys.readouterr()
    assert "8 of 8 copies verified" in out.out
    assert out.err.count("authenticates") == 8
    pdf = out.out.strip().splitlines()[-1].removeprefix("Report: ")
    assert pdf.endswith(".pdf")
    with open(pdf, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    # a second demo run works again on the same disks (the demo blanks them first)
    assert main(["demo"]) == 0


def test_run_json_and_verify_and_clone(capsys, tmp_path, _isolated_data_dir):
    assert main(["demo", "--disks", "8"]) == 0
    capsys.readouterr()
    assert main(["sim", "add", "--serial", "RUNCLIDISK01"]) == 0
    capsys.readouterr()
    assert main(["catalog", "list", "--json"]) == 0
    tracks = [t["content_hash"] for t in json.loads(capsys.readouterr().out)][:2]
    drives = json.loads((main(["drives", "--json"]), capsys.readouterr().out)[1])
    new = next(d for d in drives if d["serial"] == "RUNCLIDISK01")
    code = main(["run", "--tracks", *tracks, "--copies", "1", "--drives", new["id"], "--json"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert code == 0 and [x["result"] for x in lines] == ["pass"]
    mount = new["mount_point"]
    assert main(["verify", mount]) == 0
    assert "PASS" in capsys.readouterr().out
    assert main(["verify", mount, "--serial", "SOMEOTHER1234"]) == 1
    assert "made for the disk whose serial ends in 'SK01'" in capsys.readouterr().out


def test_run_without_grant_coverage_is_one_sentence(capsys, tmp_path):
    assert main(["demo", "--disks", "1"]) == 0
    capsys.readouterr()
    f = tmp_path / "new.bin"
    f.write_bytes(b"x" * 5000)
    assert main(["catalog", "import", "--other", str(f)]) == 0
    capsys.readouterr()
    assert main(["run", "--tracks", str(f), "--copies", "1", "--no-wait"]) == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith("pressroom: No grant allows this job") and "\n" not in err


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="SIGUSR1 is POSIX")
def test_sigusr1_prints_every_threads_stack_and_the_station_goes_on():
    """A station that seems stuck says where each thread waits (OPERATIONS 9.6)."""
    code = (
        "import os, signal, threading, time\n"
        "from pressroom.cli import _stacks_on_sigusr1\n"
        "_stacks_on_sigusr1()\n"
        "threading.Thread(target=time.sleep, args=(5,), name='waiter', daemon=True).start()\n"
        "os.kill(os.getpid(), signal.SIGUSR1)\n"
        "print('still here')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "still here", proc.stderr
    # the main thread and the waiter, each with its stack
    assert "Current thread" in proc.stderr and proc.stderr.count("Thread 0x") >= 1, proc.stderr
    assert proc.stderr.count("hread 0x") >= 2 and "threading.py" in proc.stderr, proc.stderr
