"""Panels of the main window: library, results and activity."""
