"""After the sale: reissue a lost disk, revoke licences and stations, lists only move forward."""

from __future__ import annotations

import shutil

import pytest

from engine_support import Env
from pressroom.aftercare import complete_reissue, import_list, plan_reissue, revoke
from pressroom.aftercare.revoke import current_list
from pressroom.cli import main
from pressroom.drives.simulated import MEDIA
from pressroom.engine.events import DiskState
from pressroom.errors import SetupError, UsageError, VerificationFailed
from pressroom.player import PlayerMemory, open_disk
from pressroom.secure.cert import install_revocations, issue_revocations
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.licence import LICENCE_FILE, parse_licence
from pressroom.secure.verifier import DirectoryMedium, Trust


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path, track_sizes=(40_000, 25_000))
    yield e
    e.close()


def make_disk(env: Env, serial: str, rights: str = "standard"):
    """One verified disk on a fresh simulated disk; returns (licence id, drive, mount)."""
    name = env.disk(serial)
    drive_id = env.drive_id(name)
    summary = env.run(1, drives=(drive_id,), rights=rights)
    (disk,) = [d for d in summary.disks.values() if d.state == DiskState.PASS]
    drive = next(d for d in env.app.drive_provider.list_drives() if d.id == drive_id)
    return disk.licence_id, drive, env.sim_dir / name / MEDIA


def identity_of(drive) -> DiskIdentity:
    return DiskIdentity.of(drive.vendor_id, drive.product_id, drive.serial, drive.capacity)


def player(env: Env, folder) -> tuple[Trust, PlayerMemory]:
    """A separate player: the station's trust and key, but its own memory and no list."""
    ks = env.app.keystore
    trust = Trust(ks.trusted_publishers(), ks.player_key(), ())
    return trust, PlayerMemory.load(folder, trust.player_key)


def open_as(env, trust, memory, mount, drive):
    return open_disk(DirectoryMedium(mount), identity_of(drive), trust, memory=memory)


def reissue_now(env: Env, licence: str, serial: str, **kw):
    name = env.disk(serial)
    plan = plan_reissue(env.app, licence, drives=(env.drive_id(name),), insert_and_go=False)
    summary = env.station.start(plan.job, env.events.append).wait(60)
    return plan, complete_reissue(env.app, plan, summary, **kw), env.sim_dir / name / MEDIA


def test_revoked_licence_stops_playing_once_the_player_saw_a_newer_disk(env, tmp_path):
    revoke(env.app, "licence", ["ab" * 16], reason="unrelated")  # list 1, carried by disk A
    lic_a, drive_a, mount_a = make_disk(env, "AFTERCARE0001", rights="plays=3")
    trust, memory = player(env, tmp_path / "customer-player")
    disk_a = open_as(env, trust, memory, mount_a, drive_a)
    assert disk_a.ok
    disk_a.record_play(0)  # one of three plays used before the disk "failed"

    plan, outcome, mount_b = reissue_now(env, lic_a, "AFTERCARE0002", reason="disk failed")
    assert plan.carried and plan.job.exclude == (drive_a.id,)  # the old disk is never written
    assert outcome.ok and outcome.revoked_in == 2 and not outcome.requested
    _, lic_b = parse_licence((mount_b / LICENCE_FILE).read_bytes())
    assert lic_b.kind == "replacement" and lic_b.replaces.hex() == lic_a
    assert lic_b.copy_index == 1 and [t.rights.plays for t in lic_b.tracks] == [2, 3]

    # A player that has not seen a newer disk still plays A (it cannot know) ...
    assert open_as(
        env, trust, PlayerMemory.load(tmp_path / "p2", trust.player_key), mount_a, drive_a
    ).ok
    # ... but once it has opened B, which carries list 2, A is refused with that reason.
    drive_b = env.app.drive_provider.drive_for_path(mount_b)
    assert open_as(env, trust, memory, mount_b, drive_b).ok
    refused = open_as(env, trust, memory, mount_a, drive_a)
    assert refused.refusal.code == "licence-revoked"
    assert refused.refusal.reason == "This disk's licence has been revoked."
    # Disk A's own (older) list 1 never replaced the newer list 2 in the player's memory.
    assert memory.revocation_number == 2

    ledger = env.app.ledger
    assert ledger.replacement_of(lic_a).new_licence == outcome.new_licence
    rec = [r for r in ledger.revocations() if r.target == lic_a]
    assert [(r.source, r.list_number) for r in rec] == [("local", 2)]
    assert rec[0].reason.endswith("disk failed")
    kinds = [e.kind for e in ledger.events()]
    assert "reissued" in kinds and "revoked" in kinds
    assert ledger.get_grant(env.grant_id).replacements_used == 1
    assert ledger.get_grant(env.grant_id).copies_used == 1  # the sale count did not move

    with pytest.raises(UsageError, match="already replaced by"):
        plan_reissue(env.app, lic_a)


def test_lost_disk_gets_the_original_rights_and_the_quota_runs_out(env):
    lic_a, _, mount_a = make_disk(env, "AFTERCARE0011", rights="plays=3,days=2")
    _, lic = parse_licence((mount_a / LICENCE_FILE).read_bytes())
    shutil.rmtree(mount_a.parent)  # lost: not attached any more
    plan, outcome, mount_b = reissue_now(env, lic_a, "AFTERCARE0012")
    assert not plan.carried and "not attached" in plan.note
    _, lic_b = parse_licence((mount_b / LICENCE_FILE).read_bytes())
    # Same plays and the same absolute expiry: a replacement never restarts a rental.
    assert [t.rights for t in lic_b.tracks] == [t.rights for t in lic.tracks]
    assert outcome.ok and "original rights" in outcome.sentence()

    ledger = env.app.ledger
    ledger.reserve(env.grant_id, run_id=None, drive_id="elsewhere", kind="replacement")
    with pytest.raises(VerificationFailed) as err:
        plan_reissue(env.app, outcome.new_licence)
    assert str(err.value).endswith(
        "allows 2 replacement(s) and all are used; ask the "
        "publisher for a grant with more replacements."
    )


def test_failed_replacement_revokes_nothing_and_counts_nothing(env):
    lic_a, _, _ = make_disk(env, "AFTERCARE0021")
    name = env.disk("AFTERCARE0022", fail_after=10_000)
    plan = plan_reissue(env.app, lic_a, drives=(env.drive_id(name),), insert_and_go=False)
    summary = env.station.start(plan.job, env.events.append).wait(60)
    outcome = complete_reissue(env.app, plan, summary)
    assert not outcome.ok and "was not revoked" in outcome.sentence()
    assert current_list(env.app).number == 0
    assert env.app.ledger.get_grant(env.grant_id).replacements_used == 0
    assert env.app.ledger.replacement_of(lic_a) is None


def test_reissue_of_an_unknown_licence_is_one_sentence(env, capsys):
    data = str(env.app.config.data_dir)
    assert main(["--data-dir", data, "reissue", "--licence", "0123456789ab", "--no-wait"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "pressroom: No disk with licence 0123456789ab was made at this station; "
        "'pressroom report' lists the disks made."
    )


def test_an_older_list_never_replaces_a_newer_one_at_the_station(env, tmp_path):
    ks = env.app.keystore
    first = revoke(env.app, "licence", ["01" * 16])
    old_bytes = ks.revocations_bytes()
    second = revoke(env.app, "licence", ["02" * 16], reason="stolen")
    assert (first.number, second.number) == (1, 2)
    with pytest.raises(UsageError, match="not newer than list 2"):
        install_revocations(ks, old_bytes)
    f = tmp_path / "old.cbor"
    f.write_bytes(old_bytes)
    assert main(["--data-dir", str(env.app.config.data_dir), "revoke", "import", str(f)]) == 2
    assert current_list(env.app).number == 2
    assert {x.hex() for x in current_list(env.app).licences} == {"01" * 16, "02" * 16}
    # A newer list from the publisher is taken, and what it adds is recorded.
    newer = issue_revocations(
        ks.publisher_key(),
        number=7,
        issued_at=0,
        stations=set(),
        licences={bytes.fromhex("03" * 16)},
    )
    assert import_list(env.app, newer).number == 7
    assert any(
        r.target == "03" * 16 and r.source == "imported" for r in env.app.ledger.revocations()
    )
    with pytest.raises(UsageError, match="already revoked"):
        revoke(env.app, "licence", ["03" * 16])


def test_revoked_station_and_the_publisher_key_rule(env, capsys):
    lic_a, drive_a, mount_a = make_disk(env, "AFTERCARE0031")
    data = ["--data-dir", str(env.app.config.data_dir)]
    station = env.app.keystore.station_id().hex()
    assert main([*data, "revoke", "station", station, "--reason", "key leaked"]) == 0
    capsys.readouterr()
    disk = open_disk(DirectoryMedium(mount_a), identity_of(drive_a), env.app.trust())
    assert disk.refusal.code == "station-revoked"
    assert main([*data, "revoke", "show", "--json"]) == 0
    assert '"reason": "key leaked"' in capsys.readouterr().out

    env.app.keystore.publisher_key_path.unlink()  # a real shop: no publisher key
    with pytest.raises(SetupError, match="Only the publisher can revoke a station"):
        revoke(env.app, "station", ["cd" * 16])
    assert main([*data, "revoke", "licence", lic_a, "--reason", "refund"]) == 1
    assert "recorded as a request" in capsys.readouterr().out
    assert main([*data, "revoke", "show"]) == 0
    assert f"requested from the publisher: licence {lic_a} - refund" in capsys.readouterr().out


def test_a_refused_disk_still_teaches_the_player_its_newer_list(tmp_path):
    from pressroom.secure.keys import key_id, raw_public
    from secure_world import World, identity

    world = World(tmp_path)
    disk_a = world.make_disk("a", identity("AFTERCAREWORLD01"))
    station = key_id(raw_public(world.station.public_key()))
    rl = issue_revocations(
        world.publisher, number=4, issued_at=world.now, stations={station}, licences=set()
    )
    disk_b = world.make_disk("b", identity("AFTERCAREWORLD02"), revocations=rl)
    memory = PlayerMemory.load(tmp_path / "player", world.player)
    b = open_disk(
        DirectoryMedium(disk_b), identity("AFTERCAREWORLD02"), world.trust(), memory=memory
    )
    assert b.refusal.code == "station-revoked" and memory.revocation_number == 4
    a = open_disk(
        DirectoryMedium(disk_a), identity("AFTERCAREWORLD01"), world.trust(), memory=memory
    )
    assert a.refusal.code == "station-revoked"


def test_reissue_reads_the_old_disk_only_from_the_device(env, tmp_path):
    """Copies of the old disk's files (in a folder, on another disk) are not the old disk:
    reissue finds the old disk by the identity its device reports, never by its files."""
    lic_a, drive_a, mount_a = make_disk(env, "AFTERCARE0041", rights="plays=3")
    trust, memory = player(env, tmp_path / "customer-player")
    open_as(env, trust, memory, mount_a, drive_a).record_play(0)
    shutil.copytree(mount_a, tmp_path / "copy")
    other = env.sim_dir / env.disk("AFTERCARE0042") / MEDIA
    shutil.rmtree(other)
    shutil.copytree(mount_a, other)
    shutil.rmtree(mount_a.parent)  # the disk itself is lost
    plan = plan_reissue(env.app, lic_a, insert_and_go=False)
    assert plan.old_drive is None and not plan.carried and "not attached" in plan.note
