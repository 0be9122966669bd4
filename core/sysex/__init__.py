"""SysEx preset browser core: decode synth dumps exactly, search a library, write them back.

Table-driven: each synth's parameter layout is a YAML table in ``configs/synths`` (see
:mod:`core.sysex.tables`); framing, checksums and bank logic per family live in
:mod:`core.sysex.formats`. Custom synths can be described by sysex-toolkit style definition
files (:mod:`core.sysex.definitions`).
"""

from core.sysex.decode import decode_bytes, decode_file
from core.sysex.encode import encode_bank, encode_preset, to_hex, write_syx
from core.sysex.formats.base import EDIT_BUFFER, Target
from core.sysex.model import Bank, DumpResult, MessageInfo, Preset, fingerprint
from core.sysex.tables import all_tables, get_table

__all__ = ["EDIT_BUFFER", "Bank", "DumpResult", "MessageInfo", "Preset", "Target",
           "all_tables", "decode_bytes", "decode_file", "encode_bank", "encode_preset",
           "fingerprint", "get_table", "to_hex", "write_syx"]
