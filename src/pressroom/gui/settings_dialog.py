"""Settings: where data lives, which ledger, identity policy, concurrency, verify mode."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
)

from pressroom.errors import PressroomError


class SettingsDialog(QDialog):
    def __init__(self, config, parent=None):
        super().__init__(parent)
        self.config = config
        s = config.settings
        self.setWindowTitle("Settings")
        self.data_dir = QLineEdit(str(config.data_dir))
        self.data_dir.setReadOnly(True)
        self.data_dir.setAccessibleName("Data directory")
        self.data_dir.setToolTip("Chosen with --data-dir or PRESSROOM_DATA_DIR when starting")
        self.ledger_url = QLineEdit(s.ledger_url)
        self.ledger_url.setPlaceholderText(f"(default) {config.ledger_url}")
        self.ledger_url.setAccessibleName("Ledger URL")
        self.ledger_url.setToolTip(
            "Empty: a SQLite file in the data directory. A postgresql:// URL shares quotas "
            "between stations."
        )
        self.policy = QComboBox()
        self.policy.addItems(["refuse", "warn"])
        self.policy.setCurrentText(s.identity_policy)
        self.policy.setAccessibleName("Identity policy")
        self.policy.setToolTip(
            "refuse: never write disks whose serial is doubtful (card readers, clones); "
            "warn: write them but say so"
        )
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(int(s.concurrency_per_bus))
        self.concurrency.setAccessibleName("Disks written at once per USB bus")
        self.verify = QComboBox()
        self.verify.addItems(["auto", "direct", "fadvise"])
        self.verify.setCurrentText(s.verify_mode)
        self.verify.setAccessibleName("Verify mode")
        self.verify.setToolTip("How read-back bypasses the page cache (auto picks what works)")
        self.operator = QLineEdit(s.operator)
        self.operator.setAccessibleName("Operator name")
        self.station = QLineEdit(s.station_label)
        self.station.setAccessibleName("Station label")
        self.error = QLabel()
        self.error.setObjectName("bannerError")
        self.error.setWordWrap(True)
        self.error.hide()

        form = QFormLayout()
        form.addRow("&Data directory:", self.data_dir)
        form.addRow("&Ledger URL:", self.ledger_url)
        form.addRow("&Identity policy:", self.policy)
        form.addRow("&Concurrency per bus:", self.concurrency)
        form.addRow("&Verify mode:", self.verify)
        form.addRow("&Operator:", self.operator)
        form.addRow("Station &label:", self.station)
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

    def values(self):
        return replace(
            self.config.settings,
            ledger_url=self.ledger_url.text().strip(),
            identity_policy=self.policy.currentText(),
            concurrency_per_bus=self.concurrency.value(),
            verify_mode=self.verify.currentText(),
            operator=self.operator.text().strip(),
            station_label=self.station.text().strip() or "Pressroom station",
        )

    def save(self) -> None:
        old = self.config.settings
        self.config.settings = self.values()
        try:
            self.config.save_settings()
        except (PressroomError, OSError) as exc:
            self.config.settings = old
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()
