"""Issue 20, story 5: adding a station with commands only: the publisher certifies its key,
the station trusts the publisher, installs the player's public key and its certificate;
`doctor` and `keys show` understand a station with only the public player key."""

from __future__ import annotations

import pytest

from pressroom.cli import main


@pytest.fixture
def folders(tmp_path):
    pub, station = tmp_path / "publisher", tmp_path / "station"
    assert main(["--data-dir", str(pub), "keys", "init", "--demo"]) == 0
    assert main(["--data-dir", str(station), "keys", "init"]) == 0
    return pub, station


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_onboarding_a_station_with_commands(folders, capsys, tmp_path):
    pub, station = folders
    capsys.readouterr()
    cert = tmp_path / "station.cert"
    code, out, err = run(
        capsys, "--data-dir", str(pub), "keys", "certify", str(station / "keys" / "station.pub"),
        "--out", str(cert), "--days", "30",
    )  # fmt: skip
    assert code == 0, err
    steps = [line.strip() for line in out.splitlines() if line.startswith("  pressroom")]
    assert [s.split()[2] for s in steps] == ["trust", "install-player", "import-cert"]
    trust_file, player_file = steps[0].split()[-1], steps[1].split()[-1]
    for argv in (
        ["trust", trust_file],
        ["install-player", player_file],
        ["import-cert", str(cert)],
    ):
        code, _out, err = run(capsys, "--data-dir", str(station), "keys", *argv)
        assert code == 0, err
    code, out, _ = run(capsys, "--data-dir", str(station), "keys", "show")
    assert code == 0 and "public key only" in out and "player key id      none" not in out
    assert "until" in out  # the certificate is installed and valid
    code, out, _ = run(capsys, "--data-dir", str(station), "doctor")
    keys_line = next(line for line in out.splitlines() if "keys" in line.lower()[:12])
    assert "FAIL" not in keys_line.upper(), keys_line
    assert not (station / "keys" / "player.key").exists()


def test_certify_refusals(folders, capsys, tmp_path):
    pub, station = folders
    capsys.readouterr()
    station_pub = str(station / "keys" / "station.pub")
    # a station folder has no publisher key
    code, _, err = run(capsys, "--data-dir", str(station), "keys", "certify", station_pub,
                       "--out", str(tmp_path / "x.cert"))  # fmt: skip
    assert code == 3 and "no publisher key" in err
    # a player key is not a station key
    player_pub = str(pub / "keys" / "player.pub")
    code, _, err = run(capsys, "--data-dir", str(pub), "keys", "certify", player_pub,
                       "--out", str(tmp_path / "y.cert"))  # fmt: skip
    assert code == 2 and "not a station public key" in err
    # a second, different player key is refused
    code, _, err = run(capsys, "--data-dir", str(station), "keys", "install-player", player_pub)
    assert code == 0
    other = tmp_path / "other"
    assert main(["--data-dir", str(other), "keys", "init", "--demo"]) == 0
    capsys.readouterr()
    code, _, err = run(capsys, "--data-dir", str(station), "keys", "install-player",
                       str(other / "keys" / "player.pub"))  # fmt: skip
    assert code == 3 and "different player key" in err
