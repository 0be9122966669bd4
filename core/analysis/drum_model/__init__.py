"""Breakroom's trained drum transcription model (see :mod:`core.analysis.drums` for the API).

Modules: :mod:`.features` (streaming log-mel frames, 100 fps), :mod:`.model` (the small CNN),
:mod:`.weights` (safetensors + SHA-256 loading, device choice), :mod:`.inference` (streaming
activations, peak picking, velocity), :mod:`.metrics` (onset F per instrument group),
:mod:`.dataset` / :mod:`.kit_augment` / :mod:`.calibrate` / :mod:`.train` (reproducible
training from ``core.devset`` train kits: ``python -m core.analysis.drum_model.train``).
"""
