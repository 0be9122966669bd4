"""The latent-space lab workspace tab: train the MIDI+CC β-VAE, map clips (and SysEx
presets), listen, interpolate and export."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.context import AppContext


def create_latent_page(context: AppContext, parent: QWidget) -> QWidget:
    """The page shown in the main window's workspace tab (built once, at window start)."""
    from app.latent.page import LatentLabPage

    return LatentLabPage(context, parent)
