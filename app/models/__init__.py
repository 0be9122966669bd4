"""Qt models the views read and the controllers write."""

from app.models.session_model import SessionModel, TrackEntry, TrackStatus
from app.models.track_table_model import Column, TrackTableModel

__all__ = ["Column", "SessionModel", "TrackEntry", "TrackStatus", "TrackTableModel"]
