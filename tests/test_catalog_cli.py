"""`pressroom catalog import|list|show` run in-process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pressroom.cli import main

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo"
N_TRACKS = sum(1 for p in DEMO.iterdir() if p.is_file())


def test_import_then_list_json(tmp_path, capsys):
    music = tmp_path / "music"
    shutil.copytree(DEMO, music)
    (music / "broken.flac").write_bytes(b"fLaC" + b"\0" * 10)
    assert main(["catalog", "import", str(music)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == (
        f"{N_TRACKS} imported, 0 already known, 1 skipped (2 cover, playlist or log files ignored)"
    )
    (line,) = err.strip().splitlines()
    assert line.startswith(f"skipped {music / 'broken.flac'}: truncated FLAC stream")
    assert main(["catalog", "import", str(music)]) == 0
    assert capsys.readouterr().out.startswith(f"0 imported, {N_TRACKS} already known, 1 skipped")
    assert main(["catalog", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == N_TRACKS
    by_title = {t["title"]: t for t in listed}
    assert by_title["Read Back"]["format"] == "opus"
    assert by_title["Serial Number"]["album"] == "Pressroom Demo"
    assert all(len(t["content_hash"]) == 64 and t["has_cover"] for t in listed)


def test_import_json_is_pure_json(tmp_path, capsys):
    assert main(["catalog", "import", "--json", str(DEMO / "02-quota.wav")]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)
    assert [t["title"] for t in report["imported"]] == ["Quota"]
    assert report["summary"] == "1 imported, 0 already known, 0 skipped"


def test_list_table_and_show(capsys):
    assert main(["catalog", "list"]) == 0
    assert "empty" in capsys.readouterr().out
    main(["catalog", "import", str(DEMO / "01-first-light.mp3")])
    capsys.readouterr()
    assert main(["catalog", "list"]) == 0
    out = capsys.readouterr().out
    assert "First Light" in out and "0:08" in out and "mp3" in out
    listed = main(["catalog", "list", "--json"])
    assert listed == 0
    digest = json.loads(capsys.readouterr().out)[0]["content_hash"]
    assert main(["catalog", "show", digest[:10]]) == 0
    out = capsys.readouterr().out
    assert digest in out and "image/png" in out


def test_exit_codes_for_missing_and_all_bad(tmp_path, capsys):
    assert main(["catalog", "import", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\0" * 1000)
    assert main(["catalog", "import", str(junk)]) == 1
    err = capsys.readouterr().err
    assert "not an audio file mutagen recognises" in err and "Traceback" not in err
    assert main(["catalog", "import", "--other", str(junk)]) == 0
    assert main(["catalog", "show", "12345"]) == 2
    assert "too short" in capsys.readouterr().err
