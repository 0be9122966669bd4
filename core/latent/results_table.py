"""The results table per latent size, as JSON, Markdown and LaTeX (measured numbers only)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from core.fileutil import write_output
from core.latent.errors import LatentDataError
from core.latent.evaluate import Evaluation


@dataclass(frozen=True)
class ResultRow:
    """One trained model: its latent size, held-out metrics (see :mod:`core.latent.metrics`),
    epochs, mean seconds per epoch, whole training seconds and parameter count."""

    latent_dim: int
    ccme: float
    ccme_baseline: float
    mrstft: float
    kl: float
    note_f1: float
    note_precision: float
    note_recall: float
    recon: float
    epochs: int
    epoch_seconds: float
    train_seconds: float
    parameters: int

    @classmethod
    def from_evaluation(cls, latent_dim: int, evaluation: Evaluation, *, epochs: int,
                        epoch_seconds: float, train_seconds: float,
                        parameters: int) -> ResultRow:
        """A row from an :class:`Evaluation`."""
        e = evaluation
        return cls(latent_dim, e.ccme, e.ccme_baseline, e.mrstft, e.kl, e.note_f1,
                   e.note_precision, e.note_recall, e.recon, epochs, epoch_seconds,
                   train_seconds, parameters)


_COLUMNS = (("latent_dim", "Latent", "{:d}"), ("ccme", "CC-ME ↓", "{:.4f}"),
            ("ccme_baseline", "CC-ME baseline", "{:.4f}"), ("mrstft", "MR-STFT ↓", "{:.3f}"),
            ("kl", "D_KL (nats) ↓", "{:.1f}"), ("note_f1", "Note F1 ↑", "{:.3f}"),
            ("recon", "Recon ↓", "{:.3f}"), ("epochs", "Epochs", "{:d}"),
            ("epoch_seconds", "s/epoch", "{:.2f}"), ("parameters", "Params", "{:,d}"))


def _cell(fmt: str, value: float | int) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "–"
    return fmt.format(value)


def results_json(rows: list[ResultRow]) -> str:
    """``{"quantitative": {"<latent>": {metric: value}}}`` like the user's expected-results
    block, plus every measured column."""
    data = {"quantitative": {str(r.latent_dim): {k: (None if isinstance(v, float) and
                                                     math.isnan(v) else v)
                                                 for k, v in asdict(r).items()}
                             for r in rows}}
    return json.dumps(data, indent=2) + "\n"


def results_markdown(rows: list[ResultRow]) -> str:
    """A Markdown table, one row per latent size."""
    head = "| " + " | ".join(title for _, title, _ in _COLUMNS) + " |"
    rule = "|" + "|".join("---:" for _ in _COLUMNS) + "|"
    lines = [head, rule]
    for r in rows:
        lines.append("| " + " | ".join(_cell(fmt, getattr(r, key)) for key, _, fmt in _COLUMNS)
                     + " |")
    return "\n".join(lines) + "\n"


def results_latex(rows: list[ResultRow]) -> str:
    """A LaTeX ``tabular`` (booktabs), one row per latent size."""
    cols = [c for c in _COLUMNS if c[0] not in ("parameters",)]
    titles = [t.replace("↓", r"$\downarrow$").replace("↑", r"$\uparrow$").replace("_", r"\_")
              for _, t, _ in cols]
    lines = [r"\begin{tabular}{" + "r" * len(cols) + "}", r"\toprule",
             " & ".join(titles) + r" \\", r"\midrule"]
    for r in rows:
        lines.append(" & ".join(_cell(fmt, getattr(r, key)).replace("–", "--")
                                for key, _, fmt in cols) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def write_results(rows: list[ResultRow], folder: str | os.PathLike[str], *,
                  stem: str = "results", overwrite: bool = False) -> list[Path]:
    """Write ``<stem>.json``, ``.md`` and ``.tex`` into ``folder``; returns the paths.

    Raises :class:`core.errors.OutputExists` (``overwrite`` false) or
    :class:`LatentDataError` when a file cannot be written.
    """
    base = Path(folder)
    out = []
    for suffix, text in ((".json", results_json(rows)), (".md", results_markdown(rows)),
                         (".tex", results_latex(rows))):
        out.append(write_output(base / f"{stem}{suffix}", text.encode("utf-8"),
                                overwrite=overwrite, what="the results table",
                                error=LatentDataError))
    return out
