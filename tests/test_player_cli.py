"""`pressroom play` end to end: simulated disks, serials read over the simulated USB bus.

The attacks: a disk's files copied into a plain folder, onto another disk, or into a
folder of the original disk; a serial typed by the user; memory and state restored
from a backup. Each must fail for its own reason code.
"""

from __future__ import annotations

import json
import shutil

import pytest

from player_support import Station
from pressroom.cli import main
from pressroom.drives.simulated import SimFaults, add_sim_disk
from pressroom.player import STATE_FILE
from pressroom.player.memory import MEMORY_FILE
from pressroom.secure.rights import Rights
from pressroom.station import words


@pytest.fixture
def station(_isolated_data_dir) -> Station:
    return Station(_isolated_data_dir)


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["play", *argv])
    return code, capsys.readouterr().out


def test_lists_tracks_with_rights(station, capsys):
    mount = station.disk("AA11BB22CC33", [Rights(plays=2), Rights(preview_seconds=3), Rights()])
    code, out = run(capsys, str(mount))
    assert code == 0
    assert "The disk authenticates (serial read over the simulated USB bus from disk1" in out
    assert "2 of 2 left" in out and "preview 3 s" in out
    code, out = run(capsys, str(mount), "--json")
    doc = json.loads(out)
    assert doc["disk"]["ok"] and [t["plays_left"] for t in doc["disk"]["tracks"]] == [2, None, None]


def test_plays_decodes_counts_and_refuses_at_zero(station, capsys):
    mount = station.disk("AA11BB22CC33", [Rights(plays=2), Rights(), Rights()])
    code, out = run(capsys, str(mount), "1")
    assert code == 0
    assert "would play 8.0 s of FLAC audio (22050 Hz, mono); 1 play left." in out
    code, out = run(capsys, str(mount), "serial number", "--json")
    play = json.loads(out)["play"]
    assert play["format"] == "FLAC" and play["plays_left"] == 0 and play["sample_rate"] == 22050
    assert (mount / STATE_FILE).is_file()
    code, out = run(capsys, str(mount), "1")
    assert code == 1 and out.startswith("REFUSED: This song has been played as often as allowed.")
    assert "detail: Serial Number: all 2 plays have been used. [no-plays-left]" in out


def test_preview_track_reports_the_cut(station, capsys):
    mount = station.disk("AA11BB22CC33", [Rights(), Rights(preview_seconds=3), Rights()])
    code, out = run(capsys, str(mount), "first light")
    assert code == 0
    assert "would play 3.0 s of MP3 audio (44100 Hz, stereo) (preview 3 s of 8.0 s)" in out


def test_clone_is_refused_with_exit_1(station, capsys):
    mount = station.disk("AA11BB22CC33")
    clone = station.clone(mount, "ZZ99YY88XX77")
    code, out = run(capsys, str(clone), "1")
    assert code == 1
    # the player window's words first, the verifier's sentence as the detail
    assert out.startswith(f"REFUSED: {words.refusal_words('wrong-disk').text}")
    assert "detail: PRESSROOM/tracks/01.prt: the track key does not unwrap" in out
    assert "serial ends in 'CC33'" in out and "'XX77'" in out
    code, out = run(capsys, str(clone), "--json")
    assert code == 1 and json.loads(out)["disk"]["code"] == "wrong-disk"


def test_typed_serial_no_longer_plays_anything(station, capsys):
    mount = station.disk("AA11BB22CC33")
    clone = station.clone(mount, "ZZ99YY88XX77")
    for target in (mount, clone):
        assert main(["play", str(target), "1", "--serial", "AA11BB22CC33"]) == 2
        err = capsys.readouterr().err
        assert "play reads the serial from the disk itself and takes none from you" in err
    assert not (clone / STATE_FILE).exists()


def test_files_copied_into_a_plain_folder_never_play(station, capsys, tmp_path):
    mount = station.disk("AA11BB22CC33")
    copy = tmp_path / "copy"
    shutil.copytree(mount, copy)
    code, out = run(capsys, str(copy), "1")
    assert code == 1
    assert out.startswith(f"REFUSED: {words.refusal_words('no-device').text}")
    assert f"detail: {copy} is not on a removable disk Pressroom can identify" in out
    assert "a folder of copied files never plays" in out
    code, out = run(capsys, str(copy), "--json")
    doc = json.loads(out)["disk"]
    assert code == 1 and doc["code"] == "no-device" and not doc["ok"] and doc["tracks"] == []
    assert not (copy / STATE_FILE).exists()


def test_verify_serial_reports_but_is_no_play_grant(station, capsys, tmp_path):
    mount = station.disk("AA11BB22CC33")
    copy = tmp_path / "copy"
    shutil.copytree(mount, copy)
    assert main(["verify", str(copy), "--serial", "AA11BB22CC33"]) == 0
    out = capsys.readouterr().out
    assert "PASS: the disk authenticates completely" in out
    assert (
        "Note: checked against the serial you typed, not read from a device: "
        "this does not make the disk playable." in out
    )
    assert main(["verify", str(copy), "--serial", "AA11BB22CC33", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["identity"]["typed"] is True
    # ... and the folder it just "passed" still does not play.
    code, out = run(capsys, str(copy), "1", "--json")
    assert code == 1 and json.loads(out)["disk"]["code"] == "no-device"


def test_copy_into_a_folder_of_the_right_disk_is_refused(station, capsys):
    """The disk's own serial, but files that are not at its root: not the disk itself."""
    mount = station.disk("AA11BB22CC33")
    inner = mount / "backup"
    shutil.copytree(mount, inner)
    code, out = run(capsys, str(inner), "--json")
    doc = json.loads(out)["disk"]
    assert code == 1 and doc["code"] == "not-disk-root"
    assert "open the disk itself" in doc["reason"]


def test_disk_whose_serial_cannot_be_read_does_not_play(station, capsys):
    spec = add_sim_disk(
        station.app.config.sim_dir,
        serial="AA11BB22CC33",
        size="1G",
        faults=SimFaults(usb="permission"),
    )
    mount = station.app.config.sim_dir / spec.name / "media"
    station.write(mount, "AA11BB22CC33")
    code, out = run(capsys, str(mount), "1")
    assert code == 1 and out.startswith(f"REFUSED: {words.refusal_words('no-serial').text}")
    assert "detail: The hardware serial of the disk at" in out
    assert "cannot be played" in out
    assert json.loads(run(capsys, str(mount), "--json")[1])["disk"]["code"] == "no-serial"


def test_restored_memory_and_state_do_not_bring_plays_back(station, capsys, _isolated_data_dir):
    """The backup attack through the public command, with this machine's keyring (none:
    keyring's fail backend), so the anchor file in the state directory catches it."""
    mount = station.disk("AA11BB22CC33", [Rights(plays=2), Rights(), Rights()])
    memory = _isolated_data_dir / "player" / MEMORY_FILE
    assert run(capsys, str(mount), "1")[0] == 0
    saved_memory, saved_state = memory.read_bytes(), (mount / STATE_FILE).read_bytes()
    assert run(capsys, str(mount), "1")[0] == 0
    memory.write_bytes(saved_memory)
    (mount / STATE_FILE).write_bytes(saved_state)
    code, out = run(capsys, str(mount), "1")
    assert code == 1
    assert "tracks with a play count or an expiry do not play" in out
    assert "restored from an older copy" in out
    code, out = run(capsys, str(mount))
    lines = out.splitlines()
    assert code == 0 and lines[1] == f"WARNING: {words.refusal_words('memory-rollback').text}"
    assert lines[2].startswith("  detail: Tracks with a play count")
    doc = json.loads(run(capsys, str(mount), "--json")[1])["disk"]
    assert doc["memory"]["code"] == "memory-rollback"
    assert [t["playable"] for t in doc["tracks"]] == [False, True, True]
    assert run(capsys, str(mount), "2")[0] == 0  # unlimited tracks still play


def test_bad_track_and_missing_mount_are_usage_errors(station, capsys, tmp_path):
    mount = station.disk("AA11BB22CC33")
    assert main(["play", str(mount), "9"]) == 2
    assert main(["play", str(mount), "no such song"]) == 2
    assert main(["play", str(tmp_path / "nowhere")]) == 2
    assert main(["play"]) == 2
    assert "no track 9" in capsys.readouterr().err.lower()


def test_no_plaintext_left_anywhere(station, capsys, _isolated_data_dir):
    mount = station.disk("AA11BB22CC33")
    for n in ("1", "2", "3"):
        assert run(capsys, str(mount), n)[0] == 0
    probes = [s.path.read_bytes()[4000:4064] for s in station.sources]
    files = [p for p in _isolated_data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "state.prs" for p in files)
    assert any(p.name == "memory.json" for p in files)
    for p in files:
        blob = p.read_bytes()
        assert not any(probe in blob for probe in probes), p


def test_simulated_disk_plays_only_this_stations_disks(station, capsys):
    """A simulated disk's serial is whatever its descriptor says: anyone can describe one
    with a real disk's serial and copy that disk's files in. A disk another station made
    (here: certified by the same publisher, so it authenticates) never plays from one."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from pressroom.drives.simulated import MEDIA
    from pressroom.secure.author import write_disk_to_directory
    from pressroom.secure.cert import issue_station_cert
    from pressroom.secure.grant import create_grant
    from pressroom.secure.identity import DiskIdentity
    from pressroom.secure.rights import RightsLimits

    ks, now = station.app.keystore, station.now
    other = Ed25519PrivateKey.generate()
    cert = issue_station_cert(
        ks.publisher_key(),
        other.public_key(),
        name="Elsewhere",
        not_before=now - 10,
        not_after=now + 10**6,
    ).to_bytes()
    grant = create_grant(
        ks.publisher_key(),
        title="Elsewhere",
        tracks=[s.track_id for s in station.sources],
        copies=5,
        limits=RightsLimits(),
        station=None,
        not_before=now - 10,
        not_after=now + 10**6,
        issued_at=now - 10,
    ).raw
    spec = add_sim_disk(station.app.config.sim_dir, serial="REALSTICK0042", size="1G")
    mount = station.app.config.sim_dir / spec.name / MEDIA
    write_disk_to_directory(
        mount,
        DiskIdentity.of(0x1209, 0x5052, "REALSTICK0042", 1 << 30),
        station.sources,
        station_key=other,
        station_cert=cert,
        grant=grant,
        copy_index=1,
        player=ks.player_public(),
        issued_at=now,
        chunk_size=16384,
    )
    assert main(["verify", str(mount)]) == 0  # it authenticates ...
    capsys.readouterr()
    code, out = run(capsys, str(mount), "1", "--json")  # ... but does not play
    doc = json.loads(out)["disk"]
    assert code == 1 and doc["code"] == "simulated-disk"
    assert "only disks this station made play from simulated disks" in doc["reason"]
