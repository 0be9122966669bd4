"""MIDI manufacturer IDs (the MMA/AMEI table, the entries a producer is likely to meet)."""

from __future__ import annotations

_ONE_BYTE = {
    0x01: "Sequential Circuits", 0x02: "IDP", 0x03: "Voyetra / Octave-Plateau", 0x04: "Moog",
    0x05: "Passport Designs", 0x06: "Lexicon", 0x07: "Kurzweil", 0x08: "Fender",
    0x09: "Gulbransen", 0x0A: "AKG Acoustics", 0x0B: "Voyce Music", 0x0C: "Waveframe",
    0x0D: "ADA Signal Processors", 0x0E: "Garfield Electronics", 0x0F: "Ensoniq",
    0x10: "Oberheim", 0x11: "Apple", 0x12: "Grey Matter Response", 0x13: "Digidesign",
    0x14: "Palmtree Instruments", 0x15: "JL Cooper", 0x16: "Lowrey", 0x17: "Adams-Smith",
    0x18: "E-mu", 0x19: "Harmony Systems", 0x1A: "ART", 0x1B: "Baldwin", 0x1C: "Eventide",
    0x1D: "Inventronics", 0x1F: "Clarity", 0x20: "Passac", 0x21: "SIEL", 0x22: "Synthaxe",
    0x24: "Hohner", 0x25: "Twister", 0x26: "Solton", 0x27: "Jellinghaus", 0x28: "Southworth",
    0x29: "PPG", 0x2A: "JEN", 0x2B: "Solid State Logic", 0x2C: "Audio Veritrieb",
    0x2F: "Elka", 0x30: "Dynacord", 0x31: "Viscount", 0x33: "Clavia", 0x34: "Audio Architect",
    0x35: "General Music", 0x39: "Soundcraft", 0x3B: "Wersi", 0x3C: "Avab", 0x3D: "Digigram",
    0x3E: "Waldorf", 0x3F: "Quasimidi",
    0x40: "Kawai", 0x41: "Roland", 0x42: "Korg", 0x43: "Yamaha", 0x44: "Casio",
    0x46: "Kamiya Studio", 0x47: "Akai", 0x48: "Victor (JVC)", 0x4B: "Fujitsu", 0x4C: "Sony",
    0x4E: "Teac", 0x50: "Matsushita", 0x51: "Fostex", 0x52: "Zoom", 0x54: "Matsushita",
    0x55: "Suzuki", 0x56: "Fuji Sound", 0x57: "Acoustic Technical Laboratory",
    0x7D: "non-commercial / educational", 0x7E: "Universal non-real-time",
    0x7F: "Universal real-time",
}

_THREE_BYTE = {
    (0x00, 0x00, 0x07): "Digital Music Corp", (0x00, 0x00, 0x0E): "Alesis",
    (0x00, 0x00, 0x1B): "Peavey", (0x00, 0x00, 0x3B): "Mark of the Unicorn (MOTU)",
    (0x00, 0x00, 0x41): "Microsoft", (0x00, 0x01, 0x05): "M-Audio",
    (0x00, 0x20, 0x29): "Focusrite / Novation", (0x00, 0x20, 0x32): "Behringer",
    (0x00, 0x20, 0x33): "Access Music", (0x00, 0x20, 0x3C): "Elektron",
    (0x00, 0x20, 0x6B): "Arturia", (0x00, 0x21, 0x09): "Native Instruments",
}


def manufacturer_id(message: bytes) -> bytes:
    """The manufacturer ID bytes of a framed message (1 or 3 bytes; empty when too short)."""
    if len(message) < 2:
        return b""
    if message[1] == 0x00:
        return bytes(message[1:4]) if len(message) >= 4 else b""
    return bytes(message[1:2])


def manufacturer_name(ident: bytes) -> str:
    """A person's name for the ID (``"unknown manufacturer 00 21 7F"`` when not in the table)."""
    if len(ident) == 1 and ident[0] in _ONE_BYTE:
        return _ONE_BYTE[ident[0]]
    if len(ident) == 3 and tuple(ident) in _THREE_BYTE:
        return _THREE_BYTE[tuple(ident)]  # type: ignore[index]
    if not ident:
        return "no manufacturer ID"
    return f"unknown manufacturer {ident.hex(' ').upper()}"
