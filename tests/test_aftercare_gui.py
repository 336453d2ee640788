"""The History tab's "Replace lost disk…" runs the same reissue as the CLI, off the GUI thread."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from engine_support import Env
from gui_support import no_qt_leaks  # noqa: F401
from pressroom.gui.history_tab import HistoryTab


def test_replace_lost_disk_from_the_history_tab(qtbot, tmp_path, no_qt_leaks):  # noqa: F811
    env = Env(tmp_path, track_sizes=(30_000,))
    try:
        env.disk("GUIREISSUE01")
        summary = env.run(1)
        old = next(d.licence_id for d in summary.disks.values() if d.licence_id)
        env.disk("GUIREISSUE02")  # the blank disk for the replacement
        errors: list[BaseException] = []
        tab = HistoryTab(
            SimpleNamespace(app=env.app, station=env.app.station, _report=errors.append)
        )
        qtbot.addWidget(tab)
        tab.reload()
        qtbot.waitUntil(lambda: tab.disk_table.rowCount() == 1, timeout=10_000)
        assert not tab.replace_btn.isEnabled()
        tab.disk_table.selectRow(0)
        assert tab.selected_licence() == old and tab.replace_btn.isEnabled()

        tab.replace_selected(confirm=False)
        qtbot.waitUntil(lambda: "was replaced by" in tab.aftercare.text(), timeout=30_000)
        assert not errors
        link = env.app.ledger.replacement_of(old)
        assert link is not None and link.new_licence[:12] in tab.aftercare.text()
        assert "revoked in list 1" in tab.aftercare.text()

        # The same licence again: the one-sentence refusal goes to the window's reporter.
        qtbot.waitUntil(lambda: tab.disk_table.rowCount() >= 1, timeout=10_000)
        tab.select_run(summary.run_id)
        tab.disk_table.selectRow(0)
        tab.replace_selected(confirm=False)
        qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
        assert "already replaced by" in str(errors[0])
    finally:
        env.close()
