"""First start: create or import keys and a grant, or set up the demo, in two pages.

The work itself is :class:`pressroom.station.setup.SetupService` (Qt-free), run in the pool.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QToolButton,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from pressroom.gui import tasks
from pressroom.station import words

DEMO, NEW_KEYS, IMPORT = 0, 1, 2


class ChoicePage(QWizardPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle("Welcome to Pressroom")
        self.setSubTitle("This station needs keys and a rights grant before it can make disks.")
        self.group = QButtonGroup(self)
        options = (
            (DEMO, "Start the &demo", "Demo keys, sample tracks, a grant and 8 virtual disks."),
            (NEW_KEYS, "Create station &keys", "A new station key; the grant comes from your "
                                              "rights holder (import it on the next page)."),
            (IMPORT, "&Import a grant", "Keys already exist; add the grant file you received."),
        )  # fmt: skip
        lay = QVBoxLayout(self)
        for ident, text, help_text in options:
            radio = QRadioButton(text)
            radio.setAccessibleDescription(help_text)
            self.group.addButton(radio, ident)
            note = QLabel(help_text)
            note.setObjectName("muted")
            note.setWordWrap(True)
            note.setContentsMargins(24, 0, 0, 8)
            lay.addWidget(radio)
            lay.addWidget(note)
        self.group.button(DEMO).setChecked(True)
        lay.addStretch(1)

    def choice(self) -> int:
        return self.group.checkedId()


class WorkPage(QWizardPage):
    def __init__(self, app, choice_page: ChoicePage, parent=None):
        super().__init__(parent)
        self.app = app
        self.choice_page = choice_page
        self.done_ok = False
        self.busy = False
        self.setTitle("Setting up")
        self.grant_path = QLineEdit()
        self.grant_path.setPlaceholderText("Grant file (optional)")
        self.grant_path.setAccessibleName("Grant file")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.grant_row = QHBoxLayout()
        self.grant_row.addWidget(self.grant_path, 1)
        self.grant_row.addWidget(browse)
        self.run_btn = QPushButton("Do it")
        self.run_btn.clicked.connect(self.run_setup)
        self.log = QLabel("")
        self.log.setWordWrap(True)
        self.log.setAccessibleName("Setup result")
        # what was done in the developers' terms (key ids, folders): behind Details
        self.details_btn = QToolButton()
        self.details_btn.setText("Details")
        self.details_btn.setCheckable(True)
        self.details_btn.setAccessibleName("Show the setup's details")
        self.details_btn.hide()
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setObjectName("muted")
        self.details.setAccessibleName("Setup details")
        self.details.hide()
        self.details_btn.toggled.connect(self.details.setVisible)
        lay = QVBoxLayout(self)
        lay.addLayout(self.grant_row)
        lay.addWidget(self.run_btn)
        lay.addWidget(self.log)
        lay.addWidget(self.details_btn)
        lay.addWidget(self.details, 1)

    def initializePage(self) -> None:
        choice = self.choice_page.choice()
        self.done_ok = False
        self.setSubTitle(
            {
                DEMO: "Creating the demo station…",
                NEW_KEYS: "Press 'Do it' to create this station's key; add a grant file if "
                "you have one.",
                IMPORT: "Choose the grant file, then press 'Do it'.",
            }[choice]
        )
        for i in range(self.grant_row.count()):
            self.grant_row.itemAt(i).widget().setVisible(choice != DEMO)
        if choice == DEMO:  # nothing to choose: set it up now, Finish is the next click
            self.run_btn.hide()
            self.run_setup()
        else:
            self.run_btn.show()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Rights grant file")
        if path:
            self.grant_path.setText(path)

    def run_setup(self) -> None:
        choice = self.choice_page.choice()
        grant = self.grant_path.text().strip()
        setup = self.app.station.setup

        def work() -> list[str]:
            if choice == DEMO:
                return setup.prepare_demo()
            steps = setup.create_keys(demo=False) if choice == NEW_KEYS else []
            if grant:
                steps.append(f"recorded grant {setup.import_grant(grant)[:12]}")
            elif choice == IMPORT:
                from pressroom.errors import UsageError

                raise UsageError("Choose a grant file first.")
            return steps

        self.busy = True
        self.run_btn.setEnabled(False)
        self.log.setText("Working…")
        self._said = (
            words.setup_done("demo")
            if choice == DEMO
            else words.setup_done("keys" if choice == NEW_KEYS else "grant", with_grant=bool(grant))
        )
        tasks.submit(work, self._done, self._failed, context=self)

    def _done(self, steps: list[str]) -> None:
        self.busy = False
        self.done_ok = True
        self.run_btn.setEnabled(True)
        self.log.setText(f"✔ {self._said.text}")
        self.details.setText("\n".join(f"• {s}" for s in steps))
        self.details_btn.setVisible(bool(steps))
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.run_btn.setEnabled(True)
        self.log.setText(f"✖ {exc}")

    def isComplete(self) -> bool:
        return self.done_ok and not self.busy


class SetupWizard(QWizard):
    def __init__(self, app, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Pressroom setup")
        self.choice_page = ChoicePage()
        self.work_page = WorkPage(app, self.choice_page)
        self.addPage(self.choice_page)
        self.addPage(self.work_page)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.resize(560, 400)
