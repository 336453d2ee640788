"""The catalog: tracks with cover, tags, format and copies left; search, import, rights.

Import runs in the pool (files are hashed and parsed); files it cannot use are listed
under the table with the reason for each, so one bad file never hides among good ones.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pressroom.catalog import TrackInfo
from pressroom.gui import theme
from pressroom.secure.rights import PRESETS

COLUMNS = ("", "Track", "Artist", "Album", "Duration", "Format", "Copies left", "Rights")
COVER, TITLE, ARTIST, ALBUM, DURATION, FORMAT, LEFT, RIGHTS = range(len(COLUMNS))
THUMB = 36
WIDTHS = {COVER: THUMB + 12, DURATION: 88, FORMAT: 66, LEFT: 84, RIGHTS: 100}
# A narrow catalog (the station at 1024 wide) drops these first, in this order, so that
# what the operator decides with (Copies left, Rights) never hides behind a scrollbar;
# their values stay in the track's tooltip.
NARROW_DROPS = (FORMAT, DURATION)
TITLE_MIN = 100  # px: about a dozen characters, the rest in the tooltip


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


class CatalogModel(QAbstractTableModel):
    """Tracks, the copies each grant still allows for them, and the chosen rights."""

    def __init__(self, cover_loader=None, parent=None):
        super().__init__(parent)
        self.tracks: list[TrackInfo] = []
        self.copies_left: dict[str, int | None] = {}
        self.rights: dict[str, str] = {}
        self._covers: dict[str, QPixmap | None] = {}
        self._cover_loader = cover_loader  # content hash -> bytes | None

    def set_tracks(self, tracks: list[TrackInfo]) -> None:
        self.beginResetModel()
        self.tracks = sorted(tracks, key=lambda t: (t.album or "", t.track_number or 0, t.title))
        for t in self.tracks:
            self.rights.setdefault(t.content_hash, "standard")
        self.endResetModel()

    def set_copies_left(self, left: dict[str, int | None]) -> None:
        """Copies left per track (the station's grant rule, computed by the hub)."""
        self.copies_left = dict(left)
        if self.tracks:
            self.dataChanged.emit(self.index(0, LEFT), self.index(len(self.tracks) - 1, LEFT))

    def set_rights_all(self, preset: str, hashes: list[str] | None = None) -> None:
        for h in hashes if hashes is not None else [t.content_hash for t in self.tracks]:
            self.rights[h] = preset
        if self.tracks:
            self.dataChanged.emit(self.index(0, RIGHTS), self.index(len(self.tracks) - 1, RIGHTS))

    # --- Qt model --------------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.tracks)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return {
                LEFT: "Copies the rights grant still allows for this track",
                RIGHTS: "Rights written with this track (double-click to change)",
            }.get(section)
        return None

    def flags(self, index):
        f = super().flags(index)
        return f | Qt.ItemFlag.ItemIsEditable if index.column() == RIGHTS else f

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        t = self.tracks[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DecorationRole and col == COVER:
            return self._cover(t)
        if role == Qt.ItemDataRole.UserRole:
            return t.content_hash
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == TITLE:
                title = t.title or Path(t.path).stem
                by = " — ".join(x for x in (t.artist, t.album) if x)
                return f"{title}\n{by}" if by and role == Qt.ItemDataRole.DisplayRole else title
            if col == ARTIST:
                return t.artist or ""
            if col == ALBUM:
                return t.album or ""
            if col == DURATION:
                return format_duration(t.duration)
            if col == FORMAT:
                return t.format or (Path(t.path).suffix.lstrip(".").upper())
            if col == LEFT:
                left = self.copies_left.get(t.content_hash)
                return "no grant" if left is None else str(left)
            if col == RIGHTS:
                return self.rights.get(t.content_hash, "standard")
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == RIGHTS:
                return PRESETS.get(self.rights.get(t.content_hash, "standard"), "")
            kind = self.data(index.siblingAtColumn(FORMAT))
            length = format_duration(t.duration)
            title = t.title or Path(t.path).stem  # a narrow column elides it
            return f"{title} · {length} · {kind}\n{t.path}\n{t.short_hash} · {t.size:,} bytes"
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (DURATION, LEFT):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if index.column() == RIGHTS and role == Qt.ItemDataRole.EditRole and value in PRESETS:
            self.rights[self.tracks[index.row()].content_hash] = value
            self.dataChanged.emit(index, index)
            return True
        return False

    def _cover(self, t: TrackInfo):
        if t.content_hash not in self._covers:
            pix = None
            if t.has_cover and self._cover_loader is not None:
                raw = self._cover_loader(t.content_hash)
                if raw:
                    pix = QPixmap()
                    pix.loadFromData(raw)
                    pix = pix.scaled(
                        THUMB,
                        THUMB,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
            self._covers[t.content_hash] = pix
        return self._covers[t.content_hash] or theme.icon("music")


class RightsDelegate(QStyledItemDelegate):
    """A preset picker in the Rights column."""

    def createEditor(self, parent, option, index):
        box = QComboBox(parent)
        box.addItems(list(PRESETS))
        for i, name in enumerate(PRESETS):
            box.setItemData(i, PRESETS[name], Qt.ItemDataRole.ToolTipRole)
        box.setAccessibleName("Rights for this track")
        return box

    def setEditorData(self, editor, index):
        editor.setCurrentText(index.data(Qt.ItemDataRole.EditRole))

    def setModelData(self, editor, model, index):
        model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)


class CatalogPane(QWidget):
    """Search, table, import (menu and drag and drop), and the list of skipped files."""

    import_requested = Signal(list)  # paths
    selection_changed = Signal()
    rights_changed = Signal()

    def __init__(self, cover_loader=None, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.model = CatalogModel(cover_loader, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)

        title = QLabel("<b>Catalog</b>")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title, artist, album…")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(theme.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setAccessibleName("Search the catalog")
        self.search.textChanged.connect(self.proxy.setFilterFixedString)

        self.import_btn = QPushButton(theme.icon("import"), "Import…")
        self.import_btn.setAccessibleName("Import tracks")
        self.import_btn.setToolTip("Add audio files or folders (or drop them on this list)")
        menu = QMenu(self.import_btn)
        menu.addAction("Files…", self.choose_files)
        menu.addAction("Folder…", self.choose_folder)
        self.import_btn.setMenu(menu)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Tracks")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.SelectedClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.setIconSize(QSize(THUMB, THUMB))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(THUMB + 6)
        self.table.setItemDelegateForColumn(RIGHTS, RightsDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        for col, width in WIDTHS.items():
            header.resizeSection(col, width)
        # Artist and album show under the title (two lines); their own columns stay in the
        # model for search and for a wider window's header menu.
        self.table.setColumnHidden(ARTIST, True)
        self.table.setColumnHidden(ALBUM, True)
        self.table.installEventFilter(self)  # its resizes: which columns fit
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self.selection_changed.emit()
        )
        self.model.dataChanged.connect(self._on_data_changed)

        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.skipped = QListWidget()
        self.skipped.setAccessibleName("Files that could not be imported")
        self.skipped.setMaximumHeight(90)
        self.skipped.hide()

        top = QHBoxLayout()
        top.addWidget(title)
        top.addWidget(self.search, 1)
        top.addWidget(self.import_btn)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.status)
        lay.addWidget(self.skipped)

    # --- data ------------------------------------------------------------------------------

    def set_tracks(self, tracks: list[TrackInfo]) -> None:
        selected = set(self.selected_hashes())
        self.model.set_tracks(tracks)
        self.select_hashes(selected)
        if not tracks:
            self.status.setText("The catalog is empty: import audio files or drop them here.")
        elif not self.skipped.isVisible():
            self.status.setText(f"{len(tracks)} tracks")

    def selected_hashes(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        return [self.proxy.index(i.row(), 0).data(Qt.ItemDataRole.UserRole) for i in rows]

    def selected_tracks(self) -> list[TrackInfo]:
        wanted = set(self.selected_hashes())
        return [t for t in self.model.tracks if t.content_hash in wanted]

    def select_hashes(self, hashes) -> None:
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        sel = QItemSelection()
        for row in range(self.proxy.rowCount()):
            idx = self.proxy.index(row, 0)
            if idx.data(Qt.ItemDataRole.UserRole) in hashes:
                sel.select(idx, self.proxy.index(row, len(COLUMNS) - 1))
        self.table.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def select_rows(self, rows: list[int]) -> None:
        self.select_hashes({self.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole) for r in rows})

    def rights_for(self, hashes: list[str]) -> dict[str, str]:
        return {h: self.model.rights.get(h, "standard") for h in hashes}

    def show_import_result(self, report) -> None:
        self.skipped.clear()
        for s in report.skipped:
            self.skipped.addItem(f"✖ {Path(s.path).name}: {s.reason}")
            self.skipped.item(self.skipped.count() - 1).setToolTip(str(s.path))
        self.skipped.setVisible(bool(report.skipped))
        text = f"Import: {report.summary()}."
        if report.skipped:
            text += " Files that could not be used are listed below with the reason."
        self.status.setText(text)

    def _on_data_changed(self, top_left, bottom_right, roles=()) -> None:
        if top_left.column() <= RIGHTS <= bottom_right.column():
            self.rights_changed.emit()

    # --- import ----------------------------------------------------------------------------

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import tracks")
        if files:
            self.import_requested.emit(files)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder of tracks")
        if folder:
            self.import_requested.emit([folder])

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_requested.emit(paths)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.table and event.type() == QEvent.Type.Resize:
            self._fit_columns(event.size().width())
        return super().eventFilter(obj, event)

    def _fit_columns(self, width: int) -> None:
        """Drop Format, then Duration, when the track names would get less than TITLE_MIN;
        bring them back when there is room (the window made wider, the splitter moved)."""
        room = width - self.table.verticalScrollBar().sizeHint().width() - 4
        shown = [COVER, LEFT, RIGHTS, *NARROW_DROPS]
        for col in NARROW_DROPS:
            if sum(WIDTHS[c] for c in shown) + TITLE_MIN <= room:
                break
            shown.remove(col)
        for col in NARROW_DROPS:
            self.table.setColumnHidden(col, col not in shown)
