"""The player's transport row: Play / Pause / Resume, Stop, the position slider with
elapsed and total time, Mute and the volume.

Widgets and how they look in each state only; what a press does (permits, preview
limits, the media engine) is :mod:`pressroom.gui.player_window`'s.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from pressroom.gui import theme

VOLUME = 80  # percent, where the volume starts


def clock_text(ms: int) -> str:
    s = max(0, ms) // 1000
    return f"{s // 60}:{s % 60:02d}"


class Transport(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play_button = QPushButton(theme.icon("start"), "Play")
        self.play_button.setObjectName("startButton")
        self.play_button.setToolTip("Play, pause and go on (space bar)")
        self.stop_button = QPushButton(theme.icon("stop"), "Stop")
        self.stop_button.setObjectName("stopButton")
        self.position = QSlider(Qt.Orientation.Horizontal)
        self.position.setAccessibleName("Position in the track")
        self.position.setRange(0, 1)
        self.position.setSingleStep(5_000)  # an arrow key: 5 s
        self.position.setPageStep(10_000)  # a click beside the handle: 10 s
        self.time_label = QLabel("0:00 / 0:00")
        self.time_label.setAccessibleName("Elapsed and total time")
        self.mute_button = QPushButton("Mute")
        self.mute_button.setCheckable(True)
        self.mute_button.setAccessibleName("Mute")
        self.mute_button.toggled.connect(
            lambda muted: self.mute_button.setText("Unmute" if muted else "Mute")
        )
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setValue(VOLUME)
        self.volume.setFixedWidth(110)
        self.volume.setAccessibleName("Volume")
        self.volume.setToolTip("Volume")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.play_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.position, 1)
        row.addWidget(self.time_label)
        row.addSpacing(12)
        row.addWidget(self.mute_button)
        row.addWidget(self.volume)

    def keep_play_width(self) -> None:
        """One width for Play, Pause and Resume, so the row never jumps (call once the
        window's style sheet reaches the button)."""
        widest = 0
        for text in ("Resume", "Pause", "Play"):
            self.play_button.setText(text)
            widest = max(widest, self.play_button.sizeHint().width())
        self.play_button.setMinimumWidth(widest)

    def show_state(self, *, can_play: bool, playing: bool, paused: bool) -> None:
        if not playing:
            self.play_button.setText("Play")
            self.play_button.setIcon(theme.icon("start"))
        elif paused:
            self.play_button.setText("Resume")
            self.play_button.setIcon(theme.icon("start"))
        else:
            self.play_button.setText("Pause")
            self.play_button.setIcon(theme.icon("pause"))
        self.play_button.setEnabled(can_play or playing)
        self.stop_button.setEnabled(playing)
        self.position.setEnabled(playing)

    def show_time(self, ms: int, total: int) -> None:
        self.time_label.setText(f"{clock_text(ms)} / {clock_text(total)}")

    def reset(self) -> None:
        """Nothing playing: the slider at its start, no time."""
        self.position.setValue(0)
        self.position.setRange(0, 1)
        self.show_time(0, 0)
