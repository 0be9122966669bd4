"""Audio analysis (loudness, onsets, tempo, …); each module documents its standard."""
