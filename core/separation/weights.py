"""Demucs weight files: where they live, whether they are present, download, import, load.

Weights live in torch's standard hub cache (``$TORCH_HOME/hub/checkpoints``, by default
``~/.cache/torch/hub/checkpoints``) — the same place the ``demucs`` package puts them, so
weights already downloaded by Demucs are found. Every file is verified against the SHA-256
prefix in its name before it is used; a download resumes where it stopped (HTTP ``Range``) and
lands under its final name only once verified. Offline, :func:`import_weights` copies a file
the user brought from another machine into the cache (after the same check).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from core.errors import Cancelled, CoreError, ModelUnavailable
from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.separation.catalog import MODELS, ModelInfo, WeightFile, model_info

_BLOCK = 1 << 20


def weights_dir() -> Path:
    """torch's hub checkpoint folder (created on demand by the functions that write)."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: WeightFile) -> bool:
    """Whether ``path``'s SHA-256 starts with the prefix in ``expected``'s name."""
    return sha256_of(path).startswith(expected.sha256_prefix)


@dataclass(frozen=True)
class WeightsStatus:
    """Presence of one model's weights: ``present`` files and ``missing`` ones."""

    model: str
    present: tuple[Path, ...]
    missing: tuple[WeightFile, ...]

    @property
    def ready(self) -> bool:
        """Every file is there (always true for a model without weights)."""
        return not self.missing


def status(name: str, folder: Path | None = None, *,
           info: ModelInfo | None = None) -> WeightsStatus:
    """Which of ``name``'s weight files are in ``folder`` (default :func:`weights_dir`).

    Presence is checked by name and size only (cheap); :func:`load_demucs` verifies content.
    ``info`` describes a model outside the catalog (a custom checkpoint).
    """
    info = info or model_info(name)
    folder = folder or weights_dir()
    present, missing = [], []
    for f in info.files:
        path = folder / f.name
        (present if path.is_file() and path.stat().st_size > 0 else missing).append(
            path if path.is_file() else f)
    return WeightsStatus(name, tuple(present), tuple(missing))  # type: ignore[arg-type]


def missing_message(info: ModelInfo, folder: Path) -> str:
    """The exact fix for missing weights, as one paragraph."""
    names = ", ".join(f.name for f in info.files)
    return (f"{info.name} weights are not installed ({names} not found in {folder}). "
            f"With internet: `python main.py models download {info.name}`. Offline: copy the "
            f"file(s) from a machine that has them and run `python main.py models import FILE` "
            f"(or put them in {folder}). Meanwhile `--model classic` separates without "
            "downloads.")


def import_weights(source: str | os.PathLike[str], folder: Path | None = None) -> Path:
    """Copy a checkpoint the user brought into the cache, after verifying its checksum.

    The file is recognised by its content (SHA-256 prefix) among every known checkpoint, so
    its name does not matter. Raises :class:`CoreError` when it matches none.
    """
    src = Path(source)
    if not src.is_file():
        raise CoreError(f"{src}: not a file")
    digest = sha256_of(src)
    known = [f for info in MODELS.values() for f in info.files]
    match = next((f for f in known if digest.startswith(f.sha256_prefix)), None)
    if match is None:
        raise CoreError(f"{src}: not a known Demucs checkpoint (SHA-256 {digest[:8]}… matches "
                        "none of htdemucs, htdemucs_ft, htdemucs_6s); a corrupt or different "
                        "model file")
    folder = folder or weights_dir()
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / match.name
    tmp = dest.with_name(dest.name + ".importing")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    return dest


def download(name: str, folder: Path | None = None, *, progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None, timeout_s: float = 30.0,
             info: ModelInfo | None = None) -> list[Path]:
    """Download ``name``'s missing weight files (resuming partial ones) and verify them.

    Raises :class:`ModelUnavailable` with the reason when the network fails, the transfer is
    cut short or the checksum fails; an interrupted or cancelled download keeps its partial file
    for the next attempt to resume. ``info`` describes a model outside the catalog.
    """
    info = info or model_info(name)
    folder = folder or weights_dir()
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    todo = [f for f in info.files if not (folder / f.name).is_file()]
    for k, f in enumerate(todo):
        dest = folder / f.name
        part = dest.with_name(dest.name + ".partial")
        _fetch(f.url, part, timeout_s,
               lambda x, k=k, f=f: report(progress, (k + x) / len(todo),
                                          f"downloading {f.name}"),
               cancel)
        if not verify(part, f):
            part.unlink(missing_ok=True)
            raise ModelUnavailable(f"{f.name}: downloaded file fails its SHA-256 check "
                                   "(corrupted in transit); run the download again")
        os.replace(part, dest)
        out.append(dest)
    report(progress, 1.0, "weights ready")
    return out


def _fetch(url: str, part: Path, timeout_s: float, progress: ProgressCallback,
           cancel: CancelToken | None) -> None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            resumed = response.status == 206
            total = int(response.headers.get("Content-Length") or 0) + (have if resumed else 0)
            mode = "ab" if resumed else "wb"
            done = have if resumed else 0
            with open(part, mode) as handle:
                for block in iter(lambda: response.read(_BLOCK), b""):
                    check_cancel(cancel)
                    handle.write(block)
                    done += len(block)
                    if total:
                        progress(done / total)
            if total and done < total:
                raise ModelUnavailable(f"download of {url} stopped at {done} of {total} bytes; "
                                       "run it again to resume")
    except (Cancelled, ModelUnavailable):
        raise
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise ModelUnavailable(f"cannot download {url}: {exc}; check the internet connection, "
                               "or import the file offline (`python main.py models import "
                               "FILE`)") from None


def load_demucs(name: str, folder: Path | None = None, *, verify_files: bool = True,
                info: ModelInfo | None = None) -> object:
    """The Demucs model (or bag of models) ``name`` on the CPU, in eval mode.

    ``info`` describes a model outside the catalog (its files must follow the
    ``<name>-<sha256 prefix>.th`` convention). Raises :class:`ModelUnavailable` with the exact
    fix when a file is missing, fails its checksum, or is not a loadable checkpoint of the
    expected model.
    """
    info = info or model_info(name)
    if not info.needs_weights:
        raise ModelUnavailable(f"{name} has no weights to load")
    folder = folder or weights_dir()
    state = status(name, folder, info=info)
    if not state.ready:
        raise ModelUnavailable(missing_message(info, folder))
    models = []
    for f in info.files:
        path = folder / f.name
        if verify_files and not verify(path, f):
            raise ModelUnavailable(f"{path}: fails its SHA-256 check (corrupt or a different "
                                   f"model); delete it and run `python main.py models download "
                                   f"{name}`")
        models.append(load_checkpoint(path, expected_stems=info.stems))
    if len(models) == 1:
        return models[0]
    from demucs.apply import BagOfModels

    return BagOfModels(models, [list(w) for w in info.bag_weights] if info.bag_weights
                       else None)


def load_checkpoint(path: Path, *, expected_stems: tuple[str, ...] | None = None) -> object:
    """Load one Demucs checkpoint file (the ``demucs`` package format) in eval mode.

    Only call this on files whose checksum matched a published checkpoint, or on files the
    user made: the format is a pickle. Raises :class:`ModelUnavailable` when it does not load
    or its stems differ from ``expected_stems``.
    """
    import warnings

    import torch
    from demucs.states import load_model

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            package = torch.load(path, map_location="cpu", weights_only=False)
        model = load_model(package)
    except Exception as exc:  # any failure to unpickle or build is "not a model"
        raise ModelUnavailable(f"{path}: not a loadable Demucs checkpoint ({type(exc).__name__}"
                               f": {exc})") from None
    sources = tuple(getattr(model, "sources", ()))
    if expected_stems is not None and sources != tuple(expected_stems):
        raise ModelUnavailable(f"{path}: a model for stems {', '.join(sources) or '?'}, not "
                               f"{', '.join(expected_stems)} (wrong model file)")
    return model.eval()
