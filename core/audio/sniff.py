"""Checks made before decoding: does the path exist, is it a file, and what do its bytes say?

The first bytes of a file identify its container far more reliably than its extension. A text
file or an image renamed ``.wav`` is reported as :class:`core.errors.NotAudio` with a sentence a
person understands, instead of whatever a decoder would say about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.audio.files import is_audio_name
from core.errors import AudioLoadError, EmptyFile, NotAudio
from core.fileutil import stat_regular_file

HEAD_BYTES = 4096
"""Bytes read from the start of a file to identify it."""

SNDFILE_CONTAINERS = frozenset({"wav", "rf64", "w64", "aiff", "flac", "ogg", "mp3", "caf", "au"})
"""Containers that libsndfile is tried on first."""

FFMPEG_CONTAINERS = frozenset({"mp4", "asf", "aac"})
"""Containers that only ffmpeg decodes."""

_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"mif1", b"msf1", b"avif"})

_NOT_AUDIO_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MThd", "a MIDI file (notes, not audio)"),
)


@dataclass(frozen=True)
class FileCheck:
    """Result of :func:`check_file`.

    Attributes
    ----------
    path
        The file.
    size_bytes
        Its size in bytes.
    container
        Container identified from the content (``"wav"``, ``"flac"``, ``"mp4"``…) or ``None``
        when the bytes match nothing known.
    """

    path: Path
    size_bytes: int
    container: str | None


def check_path(path: str | Path) -> tuple[Path, int]:
    """Check that ``path`` is an existing, non-empty regular file and return it with its size.

    Raises
    ------
    FileMissing
        The path does not exist (or is a broken link).
    NotAFile
        The path is a folder or a special file.
    EmptyFile
        The file has zero bytes.
    AudioLoadError
        The file cannot be examined (``"permission denied"`` or another OS reason).
    """
    file, info = stat_regular_file(path)
    if info.st_size == 0:
        raise EmptyFile(file, "file is empty (0 bytes)")
    return file, int(info.st_size)


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """Read up to ``size`` bytes from the start of ``path``.

    Raises
    ------
    AudioLoadError
        ``"permission denied"`` or another OS reason the file cannot be read.
    """
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except PermissionError:
        raise AudioLoadError(path, "permission denied") from None
    except OSError as exc:
        raise AudioLoadError(path, f"cannot read the file ({exc.strerror or exc})") from None


def audio_container(head: bytes, *, frame_sync: bool = True) -> str | None:
    """Identify an audio container from the first bytes of a file, or ``None``.

    ``frame_sync=False`` leaves out headerless MP3/AAC, recognised only by a two-byte frame
    sync — a weak sign in data that may be anything (a raw SysEx capture)."""
    tag4, form = head[:4], head[8:12]
    if tag4 == b"RIFF" and form == b"WAVE":
        return "wav"
    if tag4 in (b"RF64", b"BW64"):
        return "rf64"
    if tag4 == b"riff" and head[4:8] == b"\x2e\x91\xcf\x11":
        return "w64"
    if tag4 == b"FORM" and form in (b"AIFF", b"AIFC"):
        return "aiff"
    simple = {b"fLaC": "flac", b"OggS": "ogg", b"caff": "caf", b".snd": "au"}
    if tag4 in simple:
        return simple[tag4]
    if head[:3] == b"ID3":
        return "mp3"
    if head[4:8] == b"ftyp" and head[8:12] not in _IMAGE_BRANDS:
        return "mp4"
    if head[:16] == _ASF_GUID:
        return "asf"
    if frame_sync and len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        return "aac" if (head[1] & 0x06) == 0 else "mp3"
    return None


def _text_kind(head: bytes) -> str | None:
    """Describe ``head`` as a kind of text file, or ``None`` if it is binary."""
    if b"\x00" in head:
        return None
    body = head.removeprefix(b"\xef\xbb\xbf")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(body) - 3:  # invalid in the middle, not just a cut character
            return None
        text = body[: exc.start].decode("utf-8")
    if not text:
        return None
    plain = sum(ch.isprintable() or ch in "\t\r\n\f" for ch in text)
    if plain < 0.95 * len(text):
        return None
    start = text.lstrip()[:200].lower()
    if start.startswith("<!doctype html") or start.startswith("<html"):
        return "an HTML page"
    if start.startswith("<?xml") or start.startswith("<svg"):
        return "an XML file"
    if start.startswith(("{", "[")):
        return "a JSON file"
    return "a text file"


def non_audio_kind(head: bytes, *, text: bool = True) -> str | None:
    """Describe a recognised non-audio file (``"a PNG image"``…) or return ``None``;
    ``text=False`` recognises binary signatures only (no text files)."""
    for magic, kind in _NOT_AUDIO_MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
        return "a HEIF/AVIF image"
    return _text_kind(head) if text else None


def check_file(path: str | Path) -> FileCheck:
    """Run :func:`check_path` and identify the content from its first bytes.

    Raises
    ------
    FileMissing, NotAFile, EmptyFile, AudioLoadError
        As :func:`check_path` and :func:`read_head`.
    NotAudio
        The content is a recognised non-audio type (image, PDF, archive, text, HTML, JSON…);
        the reason names the type and, when the extension claims audio, says so.
    """
    file, size = check_path(path)
    head = read_head(file)
    container = audio_container(head)
    if container is None:
        kind = non_audio_kind(head)
        if kind is not None:
            suffix = file.suffix.lower()
            despite = f" (despite the {suffix} extension)" if is_audio_name(file) else ""
            raise NotAudio(file, f"this is {kind}, not audio{despite}")
    return FileCheck(file, size, container)
