"""Settings: where data lives, which ledger, identity policy, concurrency, verify mode."""

from __future__ import annotations

import time
from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from pressroom.errors import PressroomError, UsageError
from pressroom.gui import theme
from pressroom.pin import MIN_DIGITS, hash_pin, needs_rehash, pin_problem
from pressroom.station.shift import with_operator
from pressroom.station.words import setting


def _choices(key: str, value: str) -> QComboBox:
    """A setting's choices by their shop labels; each item's data is the stored value."""
    box = QComboBox()
    for choice in setting(key).choices:
        box.addItem(choice.label, choice.value)
    box.setCurrentIndex(max(0, box.findData(value)))
    box.setAccessibleName(setting(key).label)
    box.setToolTip(setting(key).hint)
    return box


def _label(key: str, mnemonic: str) -> str:
    """A form label from the glossary, with its keyboard mnemonic."""
    text = setting(key).label
    i = text.lower().find(mnemonic)
    return f"{text[:i]}&{text[i:]}:" if i >= 0 else f"{text}:"


class SettingsDialog(QDialog):
    def __init__(self, config, parent=None):
        super().__init__(parent)
        self.config = config
        s = config.settings
        self.setWindowTitle("Settings")
        self.data_dir = QLineEdit(str(config.data_dir))
        self.data_dir.setReadOnly(True)
        self.data_dir.setAccessibleName(setting("data_dir").label)
        self.data_dir.setToolTip(setting("data_dir").hint)
        self.ledger_url = QLineEdit(s.ledger_url)
        self.ledger_url.setPlaceholderText(f"(default) {config.ledger_url}")
        self.ledger_url.setAccessibleName(setting("ledger_url").label)
        self.ledger_url.setToolTip(setting("ledger_url").hint)
        self.policy = _choices("identity_policy", s.identity_policy)
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 127)  # a ceiling: the station adapts below it
        self.concurrency.setValue(int(s.concurrency_per_bus))
        self.concurrency.setSuffix(" at most, per USB controller")
        self.concurrency.setAccessibleName(setting("concurrency_per_bus").label)
        self.concurrency.setToolTip(setting("concurrency_per_bus").hint)
        self.verify = _choices("verify_mode", s.verify_mode)
        self.operator = QLineEdit(s.operator)
        self.operator.setAccessibleName("Operator name")
        self.operator.setToolTip(
            "Recorded with each run; asked once per shift (12 hours). A new name starts a new "
            "shift; empty: asked at the next run"
        )
        self.save_reports = QCheckBox("Save each run's report in the reports folder")
        self.save_reports.setChecked(bool(s.save_reports))
        self.save_reports.setAccessibleName("Save each run's report")
        self.save_reports.setToolTip("A PDF and a CSV per run, written when the run ends")
        self.reports_dir = QLineEdit(s.reports_dir)
        self.reports_dir.setPlaceholderText(f"(default) {config.data_dir / 'reports'}")
        self.reports_dir.setAccessibleName("Reports folder")
        self.reports_pick = QPushButton("Choose…")
        self.reports_pick.setAccessibleName("Choose the reports folder")
        self.reports_pick.clicked.connect(self._pick_reports_dir)
        reports_row = QHBoxLayout()
        reports_row.addWidget(self.reports_dir, 1)
        reports_row.addWidget(self.reports_pick)
        self.station = QLineEdit(s.station_label)
        self.station.setAccessibleName("Station label")
        self.sound = QCheckBox("Play a short chime when a run ends (where there is audio)")
        self.sound.setChecked(bool(s.sound_when_done))
        self.sound.setAccessibleName("Chime when a run ends")
        self.appearance = QComboBox()  # data: the setting's value; text: the shop's words
        for value, words in theme.APPEARANCES.items():
            self.appearance.addItem(words, value)
        self.appearance.setCurrentIndex(max(0, self.appearance.findData(s.appearance)))
        self.appearance.setAccessibleName("Appearance: light, dark or as the system")
        self.kiosk_mode = QCheckBox("Start in kiosk mode (full screen, for customers)")
        self.kiosk_mode.setChecked(bool(s.kiosk_mode))
        self.kiosk_mode.setAccessibleName("Start in kiosk mode")
        self.kiosk_price = QLineEdit(s.kiosk_price_text)
        self.kiosk_price.setPlaceholderText("e.g. 9.99 € per album, pay at the counter")
        self.kiosk_price.setAccessibleName("Kiosk price and receipt text")
        self.kiosk_idle = QSpinBox()
        self.kiosk_idle.setRange(15, 3600)
        self.kiosk_idle.setSuffix(" s")
        self.kiosk_idle.setValue(int(s.kiosk_idle_seconds))
        self.kiosk_idle.setAccessibleName("Kiosk idle timeout in seconds")
        self.kiosk_pin = QLineEdit()
        self.kiosk_pin.setEchoMode(QLineEdit.EchoMode.Password)
        if not s.kiosk_pin_hash:
            hint = "not set: chosen at the first kiosk start"
        elif needs_rehash(s.kiosk_pin_hash):
            hint = f"set under older rules: please set a new one ({MIN_DIGITS}+ digits)"
        else:
            hint = "unchanged"
        self.kiosk_pin.setPlaceholderText(hint)
        self.kiosk_pin.setAccessibleName("New operator PIN for leaving kiosk mode")
        self.kiosk_pin.setToolTip(
            f"Digits only, at least {MIN_DIGITS}, not a run or repeat such as 123456 or "
            "111111; only a salted hash is stored"
        )
        self.error = QLabel()
        self.error.setObjectName("bannerError")
        self.error.setWordWrap(True)
        self.error.hide()

        form = QFormLayout()
        form.addRow(_label("data_dir", "f"), self.data_dir)
        form.addRow(_label("ledger_url", "r"), self.ledger_url)
        form.addRow(_label("identity_policy", "b"), self.policy)
        form.addRow(_label("concurrency_per_bus", "w"), self.concurrency)
        form.addRow(_label("verify_mode", "c"), self.verify)
        form.addRow("&Operator:", self.operator)
        form.addRow("Station &label:", self.station)
        form.addRow("", self.sound)
        form.addRow("&Appearance:", self.appearance)
        form.addRow("", self.save_reports)
        form.addRow("Repor&ts folder:", reports_row)
        form.addRow("", self.kiosk_mode)
        form.addRow("Kiosk &price text:", self.kiosk_price)
        form.addRow("Kiosk i&dle timeout:", self.kiosk_idle)
        form.addRow("Kiosk operator PI&N:", self.kiosk_pin)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.resize(560, 0)

    def _pick_reports_dir(self) -> None:
        start = self.reports_dir.text() or str(self.config.reports_dir)
        chosen = QFileDialog.getExistingDirectory(self, "Reports folder", start)
        if chosen:
            self.reports_dir.setText(chosen)

    def values(self):
        pin = self.kiosk_pin.text().strip()
        problem = pin_problem(pin) if pin else None
        if problem:
            raise UsageError(f"The kiosk PIN is not accepted: {problem}")
        operator = self.operator.text().strip()
        base = (  # a new name starts its shift now (station.shift); empty: asked next run
            with_operator(self.config.settings, operator, time.time())
            if operator
            else replace(self.config.settings, operator="", operator_since=0.0)
        )
        return replace(
            base,
            ledger_url=self.ledger_url.text().strip(),
            identity_policy=self.policy.currentData(),
            concurrency_per_bus=self.concurrency.value(),
            verify_mode=self.verify.currentData(),
            save_reports=self.save_reports.isChecked(),
            reports_dir=self.reports_dir.text().strip(),
            station_label=self.station.text().strip() or "Pressroom station",
            sound_when_done=self.sound.isChecked(),
            appearance=str(self.appearance.currentData()),
            kiosk_mode=self.kiosk_mode.isChecked(),
            kiosk_price_text=self.kiosk_price.text().strip(),
            kiosk_idle_seconds=self.kiosk_idle.value(),
            kiosk_pin_hash=hash_pin(pin) if pin else self.config.settings.kiosk_pin_hash,
        )

    def save(self) -> None:
        old = self.config.settings
        try:
            self.config.settings = self.values()
            self.config.save_settings()
        except (PressroomError, OSError) as exc:
            self.config.settings = old
            self.error.setText(str(exc))
            self.error.show()
            return
        theme.set_appearance(self.config.settings.appearance)
        self.accept()
