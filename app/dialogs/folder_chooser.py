"""The folder field shared by dialogs: a line edit plus Browse…, with a replaceable hook."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QLineEdit, QWidget


class FolderChooser:
    """Mixin for a dialog with a ``folder_edit`` line edit and a Browse… button.

    :meth:`choose_folder` is the hook tests replace; ``folder_title`` is the file dialog's
    caption.
    """

    folder_edit: QLineEdit
    folder_title = "Choose a folder"

    def choose_folder(self) -> str | None:
        """Hook: ask for a folder; ``None`` when cancelled."""
        parent = self if isinstance(self, QWidget) else None
        folder = QFileDialog.getExistingDirectory(parent, self.folder_title,
                                                  self.folder_edit.text())
        return folder or None

    def _browse(self) -> None:
        folder = self.choose_folder()
        if folder:
            self.folder_edit.setText(folder)
