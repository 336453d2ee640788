"""History a shop can use, without a window: the shift rule for the operator's name, the
words for what a run copied, titles kept with each run, `pressroom run --operator` and
each run's report saved in the reports folder."""

from __future__ import annotations

import errno
import json

import pytest

from pressroom.cli import main
from pressroom.config import Settings, load_config
from pressroom.errors import UsageError
from pressroom.ledger.models import TrackTitle
from pressroom.station.history import size_text, what_was_copied
from pressroom.station.shift import (
    SHIFT_SECONDS,
    check_name,
    current_operator,
    with_operator,
)

NOW = 1_800_000_000.0


def test_a_name_stands_for_one_shift_and_a_new_name_starts_another():
    s = with_operator(Settings(), "  Ana   Lopez ", NOW)
    assert (s.operator, s.operator_since) == ("Ana Lopez", NOW)
    assert current_operator(s, NOW + 1) == "Ana Lopez"
    assert current_operator(s, NOW + SHIFT_SECONDS - 1) == "Ana Lopez"  # across midnight
    assert current_operator(s, NOW + SHIFT_SECONDS) == ""  # the next shift asks again
    assert current_operator(s, NOW - 3600) == ""  # a clock set back an hour: ask
    # the same name again keeps its shift; another name starts one now
    assert with_operator(s, "Ana Lopez", NOW + 600) is s
    later = with_operator(s, "Ben", NOW + 600)
    assert (later.operator, later.operator_since) == ("Ben", NOW + 600)
    # a name written into settings.toml by hand has no shift: the window asks (prefilled)
    assert current_operator(Settings(operator="Ana"), NOW) == ""


@pytest.mark.parametrize(
    ("name", "why"),
    [("   ", "Type the operator's name"), ("a\x07b", "control"), ("x" * 61, "too long")],
)
def test_a_bad_operator_name_is_one_sentence(name, why):
    with pytest.raises(UsageError, match=why):
        check_name(name)


def test_what_was_copied_in_a_shops_words():
    album = [TrackTitle(f"Song {i}", "Blue Hour", "Mira") for i in range(1, 4)]
    assert what_was_copied(album) == "Blue Hour (3 tracks)"
    assert what_was_copied(album[:1]) == "Song 1 (Blue Hour)"
    mixed = [*album, TrackTitle("Other", "Red Album")]
    assert what_was_copied(mixed) == "4 tracks from 2 albums"
    loose = [TrackTitle(f"Take {i}") for i in range(1, 6)]
    assert what_was_copied(loose) == "Take 1, Take 2, Take 3 and 2 more"
    assert what_was_copied(()) == "—"


def test_capacity_reads_as_printed_on_the_disk():
    assert size_text(16_000_000_000) == "16 GB"
    assert size_text(1_073_741_824) == "1.1 GB"
    assert size_text(512_000_000) == "512 MB"
    assert size_text(2_000_000_000_000) == "2.0 TB"


def _tracks(capsys) -> list[str]:
    assert main(["catalog", "list", "--json"]) == 0
    return [t["content_hash"] for t in json.loads(capsys.readouterr().out)]


def test_run_records_the_operator_the_titles_and_saves_its_report(capsys):
    assert main(["demo", "--disks", "2"]) == 0
    capsys.readouterr()
    tracks = _tracks(capsys)[:2]
    code = main(["run", "--tracks", *tracks, "--copies", "1", "--no-wait", "--operator", "Ana"])
    out = capsys.readouterr()
    assert code == 0, out.err
    config = load_config()
    assert config.settings.operator == "Ana" and config.settings.operator_since > 0
    pdfs = sorted(config.reports_dir.glob("*.pdf"))
    assert any(f"Report saved: {p}" in out.err for p in pdfs)
    # the same shift: the next run records Ana without being told
    assert main(["run", "--tracks", *tracks, "--copies", "1", "--no-wait"]) == 0
    assert "no operator is on shift" not in capsys.readouterr().err
    from pressroom.app import App

    with App(load_config()) as app:
        runs = sorted(app.ledger.runs(), key=lambda r: r.started_at)[-2:]
        catalog = {t.content_hash: t for t in app.catalog.all()}
        history = app.station.history.load()
        doc = app.station.reports.gather(run_id=runs[0].run_id).to_json()
        assert app.ledger.verify_chain().ok  # the titles agree with the run-started event
    assert [t["title"] for t in doc["runs"][0]["titles"]] == [catalog[h].title for h in tracks]
    assert [r.operator for r in runs] == ["Ana", "Ana"]
    assert [t.title for t in runs[0].titles] == [catalog[h].title for h in tracks]
    row = next(r for r in history.runs if r.run_id == runs[0].run_id)
    assert row.operator == "Ana" and row.made == 1 and row.duration is not None
    assert len(row.tracks) == 2 and catalog[tracks[0]].title in row.tracks[0]
    (disk,) = history.disks[runs[0].run_id]
    assert disk.passed and disk.capacity and disk.capacity_text.endswith("GB")
    assert 0 < disk.seconds <= row.duration
    csvs = sorted(load_config().reports_dir.glob("*.csv"))
    assert len(csvs) == len(sorted(load_config().reports_dir.glob("*.pdf"))) >= 3
    (latest,) = [c for c in csvs if c.stem.endswith(runs[1].run_id[:8])]
    assert "Ana" in latest.read_text(encoding="utf-8")


def test_run_without_an_operator_says_how_to_give_one(capsys):
    assert main(["demo", "--disks", "1"]) == 0
    capsys.readouterr()
    tracks = _tracks(capsys)[:1]
    assert main(["run", "--tracks", *tracks, "--copies", "1", "--no-wait"]) == 0
    assert "add --operator NAME" in capsys.readouterr().err


def test_a_bad_operator_name_on_the_command_line_is_one_sentence(capsys):
    assert main(["demo", "--disks", "1"]) == 0
    capsys.readouterr()
    tracks = _tracks(capsys)[:1]
    code = main(["run", "--tracks", *tracks, "--copies", "1", "--no-wait", "--operator", " "])
    err = capsys.readouterr().err.strip()
    assert code != 0 and "Type the operator's name" in err
    assert "\n" not in err and "Traceback" not in err


def test_a_reports_folder_that_cannot_be_written_is_one_sentence_and_the_run_stands(
    capsys, tmp_path
):
    assert main(["demo", "--disks", "1"]) == 0
    capsys.readouterr()
    tracks = _tracks(capsys)[:1]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the reports folder should be")
    config = load_config()
    config.settings.reports_dir = str(blocker / "reports")
    config.save_settings()
    code = main(["run", "--tracks", *tracks, "--copies", "1", "--no-wait", "--operator", "Ana"])
    err = capsys.readouterr().err
    assert code == 0  # the copy was made and recorded: the report is not the run
    assert "The run's report could not be saved in" in err and "Traceback" not in err


def test_a_read_only_reports_folder_leaves_no_half_file(monkeypatch, tmp_path):
    """EROFS while the PDF is written: one sentence, and nothing half-written remains."""
    from pressroom.app import App
    from pressroom.station import reports as station_reports

    assert main(["demo", "--disks", "1"]) == 0
    with App(load_config()) as app:
        run_id = app.ledger.runs()[-1].run_id
        app.config.settings.reports_dir = str(tmp_path / "shelf")

        def read_only(data, path):
            path.write_bytes(b"%PDF-half")
            raise OSError(errno.EROFS, "Read-only file system")

        monkeypatch.setattr(station_reports, "write_pdf", read_only)
        with pytest.raises(UsageError, match="Read-only file system") as err:
            app.station.reports.after_run(run_id)
        assert str(err.value).endswith(": Read-only file system.")
        assert list((tmp_path / "shelf").iterdir()) == []
        app.config.settings.save_reports = False  # the setting off: nothing is written
        assert app.station.reports.after_run(run_id) is None


def test_runs_recorded_before_titles_were_kept_survive_the_migration(tmp_path):
    """A ledger at 0004 with a run in it: upgraded to 0005, the run reads with no titles."""
    import sqlalchemy as sa

    from pressroom.ledger import Ledger
    from pressroom.ledger import db as ledger_db

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = sa.create_engine(url)
    ledger_db.migrate(engine, "0004_ckpt")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO grants (grant_id, raw, title, publisher, tracks, copies, "
                "replacements, not_before, not_after, imported_at) VALUES "
                "('g1', x'00', 'Old grant', 'p1', '[]', 5, 0, 0, 9999999999, 1.0)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO runs (run_id, started_at, finished_at, operator, station_id, "
                "grant_id, tracks, copies_wanted, rights, status) VALUES "
                "('r1', 10.0, 20.0, 'Old Tom', 's1', 'g1', '[\"ab\"]', 2, '{}', 'finished')"
            )
        )
    engine.dispose()
    with Ledger.open(url) as led:
        assert ledger_db.current_revision(led.engine) == "0006_reason_code"
        (run,) = led.runs()
    assert (run.run_id, run.operator, run.tracks, run.titles) == ("r1", "Old Tom", ("ab",), ())


def test_the_printed_report_says_why_a_disk_failed_in_a_shops_words(tmp_path):
    """The PDF a run saves is for the shop: a failed disk's reason in the glossary's words,
    and the run's port map, as `report --format pdf` prints it. The CSV beside it is the
    signed record and keeps the sentence the ledger recorded."""
    import shutil
    import subprocess

    from engine_support import Env
    from pressroom.station import words

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed: text not checked")
    env = Env(tmp_path)
    try:
        env.disk("GOODDISK0001")
        env.disk("LOCKEDDISK01", read_only=True)
        summary = env.run(2)
        saved = env.app.station.reports.save_run(summary.run_id)
        (failed,) = [d for d in env.app.ledger.disks() if d.result == "fail"]
    finally:
        env.close()
    assert failed.reason_code == "read-only"
    text = subprocess.run(
        ["pdftotext", "-layout", str(saved.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    shop = words.failure("read-only").text
    assert " ".join(shop.split()[:4]) in flat and failed.reason not in flat
    assert "Port map (1 failed, in red)" in flat  # as `report --format pdf` prints it
    assert failed.reason in saved.csv.read_text(encoding="utf-8")
