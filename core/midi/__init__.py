"""Loop to MIDI: drum maps, quantisation of drum hits onto the beat grid, and MIDI file export.

Pure Python (mido, numpy); no Qt. Times are in seconds, positions in beats (quarter notes)
from the loop start, tempo in BPM and MIDI positions in ticks (480 per quarter note).
"""
