"""Small reusable widgets (no knowledge of the window or the session)."""
