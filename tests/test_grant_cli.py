"""`pressroom grant create|import|show` from the command line."""

from __future__ import annotations

import json
import time

import pytest

from ledger_support import forged
from pressroom.app import App
from pressroom.catalog import TrackInfo, hash_file
from pressroom.cli import main
from pressroom.config import load_config
from pressroom.secure.grant import create_grant
from pressroom.secure.rights import RightsLimits

HASH = "ab" * 32


def _json(capsys, argv):
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _events(capsys) -> int:
    return _json(capsys, ["ledger", "verify", "--json"])["rows"]


@pytest.fixture
def station(capsys):
    assert main(["keys", "init", "--demo"]) == 0
    capsys.readouterr()
    return App(load_config())


def test_create_without_publisher_key_is_a_setup_error(capsys):
    assert main(["grant", "create", "--tracks", HASH, "--copies", "3"]) == 3
    err = capsys.readouterr().err
    assert "This station has no publisher key" in err
    assert "pressroom keys init --demo" in err and "Traceback" not in err


def test_create_records_the_grant_for_this_station(station, capsys):
    made = _json(
        capsys,
        [
            "grant",
            "create",
            "--tracks",
            HASH,
            "--copies",
            "3",
            "--replacements",
            "1",
            "--max-plays",
            "10",
            "--export",
            "--title",
            "Café Ölmühle",
            "--json",
        ],
    )
    assert made["title"] == "Café Ölmühle" and made["tracks"] == [HASH]
    assert made["station"] == station.keystore.station_id().hex()
    assert made["limits"] == {
        "max_plays": 10,
        "max_days": None,
        "max_preview": None,
        "export": True,
    }
    shown = _json(capsys, ["grant", "show", made["grant_id"][:6], "--json"])
    assert (shown["copies_remaining"], shown["replacements_remaining"]) == (3, 1)
    assert main(["grant", "show"]) == 0
    assert made["grant_id"][:12] in capsys.readouterr().out


def test_out_writes_a_file_that_imports_once(station, capsys, tmp_path):
    out = tmp_path / "g.grant"
    assert (
        main(
            [
                "grant",
                "create",
                "--tracks",
                HASH,
                "--copies",
                "2",
                "--station",
                "any",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert _json(capsys, ["grant", "show", "--json"]) == []  # --out only writes the file
    first = _json(capsys, ["grant", "import", str(out), "--json"])
    assert first["station"] is None and first["copies"] == 2
    before = _events(capsys)
    assert _json(capsys, ["grant", "import", str(out), "--json"])["grant_id"] == first["grant_id"]
    assert _events(capsys) == before  # idempotent: nothing new recorded


def _import_fails(capsys, tmp_path, raw: bytes, code: int, words: str) -> None:
    path = tmp_path / "bad.grant"
    path.write_bytes(raw)
    capsys.readouterr()
    assert main(["grant", "import", str(path)]) == code
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and err.count("\n") == 1
    assert _json(capsys, ["grant", "show", "--json"]) == []


def test_forged_expired_untrusted_and_garbage_grants_are_refused(station, capsys, tmp_path):
    key = station.keystore.publisher_key()
    now = int(time.time())

    def grant(**kw):
        values = dict(
            title="x",
            tracks=[bytes(32)],
            copies=1,
            limits=RightsLimits(),
            station=None,
            not_before=now - 10,
            not_after=now + 1000,
            issued_at=now,
        )
        values.update(kw)
        return create_grant(key, **values)

    _import_fails(capsys, tmp_path, forged(grant()), 1, "signature on the grant does not verify")
    expired = grant(not_before=now - 5000, not_after=now - 100)
    _import_fails(capsys, tmp_path, expired.raw, 1, "has expired")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    stranger = create_grant(
        Ed25519PrivateKey.generate(),
        title="x",
        tracks=[bytes(32)],
        copies=1,
        limits=RightsLimits(),
        station=None,
        not_before=now,
        not_after=now + 10,
        issued_at=now,
    )
    _import_fails(capsys, tmp_path, stranger.raw, 1, "does not trust")
    _import_fails(capsys, tmp_path, b"not a grant", 2, "is not a Pressroom grant file")


def test_tracks_by_prefix_path_and_whole_catalog(station, capsys, tmp_path):
    song = tmp_path / "song.flac"
    song.write_bytes(b"fLaC not really audio")
    content = hash_file(song)
    for h, title in ((content, "Song"), ("cd" * 32, "Other")):
        station.catalog.upsert(
            TrackInfo(
                content_hash=h,
                path=song,
                size=21,
                kind="audio",
                format="flac",
                title=title,
                album="Nocturnes",
            )
        )
    by_path = _json(capsys, ["grant", "create", "--tracks", str(song), "--copies", "1", "--json"])
    assert by_path["tracks"] == [content] and by_path["title"] == "Nocturnes"
    by_prefix = _json(
        capsys, ["grant", "create", "--tracks", "cdcdcdcd", "--copies", "1", "--json"]
    )
    assert by_prefix["tracks"] == ["cd" * 32]
    everything = _json(capsys, ["grant", "create", "--all-catalog", "--copies", "1", "--json"])
    assert sorted(everything["tracks"]) == sorted([content, "cd" * 32])
    assert main(["grant", "create", "--tracks", "0000ffff", "--copies", "1"]) == 2


def test_usage_errors(station, capsys):
    assert main(["grant", "create", "--copies", "1"]) == 2
    assert "Name the tracks" in capsys.readouterr().err
    assert main(["grant", "create", "--all-catalog", "--copies", "1"]) == 2
    assert "catalog is empty" in capsys.readouterr().err
    assert main(["grant", "create", "--tracks", HASH, "--copies", "1", "--station", "xyz"]) == 2
    with pytest.raises(SystemExit):
        main(["grant", "create", "--tracks", HASH, "--copies", "0"])
    assert main(["grant", "show", "deadbeef"]) == 2


def test_a_publisher_can_require_watermarked_copies(station, capsys):
    made = _json(capsys, ["grant", "create", "--tracks", HASH, "--copies", "2",
                          "--require-marking", "--json"])  # fmt: skip
    assert made["limits"]["marking"] is True
    capsys.readouterr()
    assert main(["grant", "show", made["grant_id"][:8]]) == 0
    assert "watermarked copies required" in capsys.readouterr().out
    plain = _json(capsys, ["grant", "create", "--tracks", HASH, "--copies", "2", "--json"])
    assert "marking" not in plain["limits"]  # unchanged bytes for grants without it
