#!/usr/bin/env bash
# Sets up everything Breakroom needs on Debian/Ubuntu, idempotently:
#   1. Debian packages the app loads at run time (PortAudio, ffmpeg, Qt platform-plugin libraries);
#   2. a virtual environment in .venv;
#   3. torch==2.13.0 first (so no other package drags in a CUDA build), then the project in
#      editable mode with its dev extras.
# A second run checks a stamp and returns in well under a second when nothing changed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
venv="${BREAKROOM_VENV:-.venv}"
python="${PYTHON:-python3}"
torch_spec="${BREAKROOM_TORCH:-torch==2.13.0}"
stamp="$venv/.breakroom-setup"

deb_packages=(
  libportaudio2 ffmpeg libsndfile1
  # Qt 6 xcb / offscreen platform plugins
  libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
  libxcb-xkb1 libxcb-xfixes0 libx11-xcb1
  # drum material for the generated development set (core/devset): GM SoundFonts rendered with
  # fluidsynth, and the LMMS drum samples
  fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont lmms-common
)

log() { printf '[setup] %s\n' "$*"; }

install_debian_packages() {
  command -v dpkg-query >/dev/null 2>&1 || { log "not a Debian system: install PortAudio, ffmpeg and Qt's xcb libraries yourself"; return 0; }
  local missing=()
  for p in "${deb_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then missing+=(python3-venv); fi
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]}"
    log "run as root (or: sudo apt-get install ${missing[*]}) and try again"
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

stamp_key() {
  # Everything that changes what gets installed.
  cat pyproject.toml packaging/setup.sh | sha256sum | cut -d' ' -f1
}

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(stamp_key)" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi

install_debian_packages

if [ ! -x "$venv/bin/python" ]; then
  log "creating $venv"
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install -q --upgrade pip setuptools wheel
if ! "$venv/bin/python" -c 'import torch' >/dev/null 2>&1; then
  log "installing $torch_spec (before the rest, so nothing pulls a CUDA build)"
  "${pip[@]}" install -q "$torch_spec"
fi
log "installing Breakroom and its dependencies"
"${pip[@]}" install -q -e ".[dev]"
stamp_key > "$stamp"
log "ready"
