"""Offline drums / bass / other separator: spectral masks, no model weights to download.

The default separator when no Demucs weights are installed. It is meant for drum analysis and
auditioning, not for release-quality stems. Three ideas, all on magnitude spectrograms of the
mid channel (the channel mean); the masks are applied to every channel's complex STFT:

1. **Harmonic/percussive separation** by median filtering (Fitzgerald 2010, "Harmonic/percussive
   separation using median filtering", DAFx): a median along time keeps what sustains
   (harmonic), a median along frequency keeps what is broadband (percussive); soft Wiener-like
   masks ``P² / (H² + P²)`` split every bin.
2. **Two resolutions.** Above :data:`SPLIT_HZ` a 4096-point STFT (93 ms at 44.1 kHz); below it
   an 8192-point one (186 ms), whose 5.4 Hz bins keep a bass note and a kick's body apart. The
   bands are cross-faded with complementary smooth weights.
3. **A kick template** for the low band, after Yoshii, Goto & Okuno (2007, "Drum sound
   recognition for polyphonic audio signals by adaptation and matching of spectrogram
   templates", IEEE TASLP): low-frequency onsets are found from spectral flux; the group of
   onsets whose spectra look alike (cosine similarity of the first frames, refined twice) with
   the most low-frequency energy is taken as the kick; its template is a low percentile of the
   aligned spectrogram patches (so bass notes that differ from hit to hit drop out), forced to
   decay by at least :data:`KICK_MIN_DECAY_DB_S`; every hit places the template scaled by a
   robust gain (median ratio). In the low band, where a kick's sustained body otherwise reads
   as "harmonic" and lands in the bass, the drum mask is the larger of template-against-rest
   and the median-filter mask (the latter weighted down to :data:`KICK_HPSS_WEIGHT` under a
   kick).

Drums are the percussive part; bass is the rest below :data:`BASS_CUTOFF_HZ` (a smooth
low-pass in log-frequency, half an octave wide) plus, up to about :data:`BASS_NOTES_HZ`, the
part of each bin that rises above its own sustained level (short bass notes an octave up,
not held chords). Bass is mixed to the centre, so in a stereo input each bin's bass share is
scaled by how centred the bin is (mid energy minus side energy, over mid energy, smoothed over
:data:`CENTRED_SECONDS`): wide pads and stereo effects in the low end stay out of the bass.
Other is the mix minus drums and bass, so the three stems sum to the input up to float32
rounding.

Chunks: :meth:`ClassicSeparator.separate` takes a few seconds of audio; a caller streaming a
long file overlaps chunks by about :attr:`ClassicSeparator.context_seconds` on each side and
cross-fades. Chunk edges are reflect-padded, so the first and last few hundred ms of a chunk
are only mildly worse than its middle. All settings are in seconds and Hz and scale with the
sample rate (FFT sizes are the nearest powers of two to the 44.1 kHz ones).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import uniform_filter1d

STEMS: tuple[str, ...] = ("drums", "bass", "other")
"""Stems the separator returns, in this order."""

FFT_SECONDS = 4096 / 44100
"""Window of the main STFT (s); hop a quarter of it."""
LOW_FFT_FACTOR = 2
"""The low-band STFT's window is this many times longer (same hop)."""
SPLIT_HZ = 250.0
"""Centre of the cross-fade between the low-band and the main STFT (Hz)."""
SPLIT_OCTAVES = 0.5
"""Width of that cross-fade (octaves, 12 %–88 % of the weight)."""
BASS_CUTOFF_HZ = 180.0
"""Bass = harmonic energy below about this frequency (Hz)."""
BASS_OCTAVES = 0.5
"""Width of the bass low-pass (octaves)."""
BASS_NOTES_HZ = 400.0
"""Up to about here (a low-pass one octave wide), the non-drum energy of a bin above its
sustained level (its time median) also goes to the bass: the attacks and decays of short bass
notes played above :data:`BASS_CUTOFF_HZ` (plucks an octave up), not held chords (Hz)."""
HARMONIC_SECONDS = 0.72
"""Length of the time median above :data:`SPLIT_HZ` (s)."""
PERCUSSIVE_HZ = 183.0
"""Length of the frequency median above :data:`SPLIT_HZ` (Hz)."""
LOW_HARMONIC_SECONDS = 1.04
"""Length of the time median in the low band (s)."""
LOW_PERCUSSIVE_HZ = 48.0
"""Length of the frequency median in the low band (Hz)."""
KICK_BAND_HZ = (30.0, 160.0)
"""Band whose spectral flux finds kick onsets (Hz)."""
KICK_MODEL_HZ = 300.0
"""The kick template covers the bins below this frequency (Hz)."""
KICK_SECONDS = 0.37
"""Length of the kick template (s)."""
KICK_MIN_GAP = 0.09
"""Minimum time between two onsets (s)."""
KICK_SIMILARITY = 0.7
"""Cosine similarity (of log spectra, first frames) above which an onset joins the kick group."""
KICK_MIN_HITS = 4
"""Fewer kick-like onsets than this in a chunk: no template, median filtering alone."""
KICK_PERCENTILE = 0.3
"""Template = this quantile of the aligned patches (a low one drops bass notes)."""
KICK_MIN_DECAY_DB_S = 43.0
"""The template decays at least this fast after its peak (dB/s)."""
KICK_HPSS_WEIGHT = 0.7
"""Within a kick's span the low band's median-filter drum mask counts this much (0–1)."""
REST_SECONDS = 0.2
"""Under the kick, what is not kick is estimated at least at its median over this long (s):
bass notes sustain through the hit."""
CENTRED_BASS = 1.0
"""How much the bass masks follow the stereo image (0–1): bass is mixed to the centre, so
side energy (L − R) in a bin marks a wide sound (pads, stereo effects), and a bin's bass share
is scaled by its centred part, ``(|M|² − |S|²) / |M|²`` smoothed over time (1: fully)."""
CENTRED_SECONDS = 0.6
"""Time smoothing of the mid and side energies for :data:`CENTRED_BASS` (s)."""
MASK_POWER = 2.0
"""Exponent of the soft masks (2: Wiener-like on magnitudes)."""
_EPS = 1e-12


def _odd(n: float) -> int:
    """``n`` rounded to an odd integer ≥ 1."""
    k = max(1, round(n))
    return k if k % 2 else k + 1


def _order_filter(x: np.ndarray, size: int, axis: int, quantile: float = 0.5) -> np.ndarray:
    """Sliding ``quantile`` (0.5: median) of ``x`` over ``size`` (odd) cells along ``axis``
    (reflect padding), for 2-D ``x``."""
    if size <= 1:
        return x.copy()
    half = size // 2
    pad = [(0, 0), (0, 0)]
    pad[axis] = (half, half)
    mode = "reflect" if x.shape[axis] > half else "edge"
    windows = sliding_window_view(np.pad(x, pad, mode=mode), size, axis=axis)
    k = round(quantile * (size - 1))
    return np.partition(windows, k, axis=-1)[..., k]


def _lowpass(freqs: np.ndarray, cutoff: float, octaves: float) -> np.ndarray:
    """Smooth low-pass weight in log-frequency: 0.5 at ``cutoff`` (Hz), 0.12 / 0.88 half
    ``octaves`` either side."""
    z = np.log2(np.maximum(freqs, 1.0) / cutoff) / (octaves / 4.0)
    return 1.0 / (1.0 + np.exp(np.clip(z, -50.0, 50.0)))


def _wiener(a: np.ndarray, b: np.ndarray, power: float = 2.0) -> np.ndarray:
    """Soft mask ``aᵖ / (aᵖ + bᵖ)``."""
    ap, bp = np.power(a, power) + _EPS, np.power(b, power)
    return ap / (ap + bp)


class _Stft:
    """STFT with a periodic sqrt-Hann window at 75 % overlap (so analysis × synthesis windows
    add up to a constant) over a reflect-padded signal."""

    def __init__(self, n_fft: int, hop: int) -> None:
        self.n_fft, self.hop = n_fft, hop
        self.window = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft))
        self.gain = float(np.sum(self.window ** 2) / hop)

    def forward(self, x: np.ndarray, pad: int) -> np.ndarray:
        """``[channels, frames, bins]`` of ``x`` ``[channels, n]`` padded by ``pad`` samples
        each side (frame ``t`` centred at sample ``t·hop + n_fft/2 − pad``)."""
        n = x.shape[-1]
        extra = (-(n + 2 * pad - self.n_fft)) % self.hop
        mode = "reflect" if n > 1 else "edge"
        xp = np.pad(x, ((0, 0), (pad, pad + extra)), mode=mode)
        frames = 1 + (xp.shape[-1] - self.n_fft) // self.hop
        view = sliding_window_view(xp, self.n_fft, axis=-1)[:, ::self.hop][:, :frames]
        return np.fft.rfft(view * self.window, axis=-1)

    def inverse(self, spec: np.ndarray, pad: int, n: int) -> np.ndarray:
        """Overlap-add inverse of :meth:`forward` for ``n`` output samples."""
        frames = np.fft.irfft(spec, n=self.n_fft, axis=-1) * self.window
        count, k = spec.shape[-2], self.n_fft // self.hop
        blocks = np.zeros((*spec.shape[:-2], count + k - 1, self.hop))
        for j in range(k):
            blocks[..., j:j + count, :] += frames[..., j * self.hop:(j + 1) * self.hop]
        out = blocks.reshape((*spec.shape[:-2], -1))
        return out[..., pad:pad + n] / self.gain


class ClassicSeparator:
    """Drums / bass / other by spectral masks (see the module docstring).

    Parameters
    ----------
    sample_rate : int
        Rate of the chunks (Hz), at least 8000.
    """

    stems: tuple[str, ...] = STEMS

    def __init__(self, sample_rate: int = 44100) -> None:
        if sample_rate < 8000:
            raise ValueError(f"sample rate must be at least 8000 Hz, got {sample_rate}")
        self.sample_rate = int(sample_rate)
        n_fft = 2 ** round(math.log2(FFT_SECONDS * sample_rate))
        self._hop = n_fft // 4
        self._main = _Stft(n_fft, self._hop)
        self._low = _Stft(n_fft * LOW_FFT_FACTOR, self._hop)
        frame_s = self._hop / sample_rate
        self._h_len = _odd(HARMONIC_SECONDS / frame_s)
        self._p_len = _odd(PERCUSSIVE_HZ / (sample_rate / n_fft))
        self._lh_len = _odd(LOW_HARMONIC_SECONDS / frame_s)
        self._lp_len = _odd(LOW_PERCUSSIVE_HZ / (sample_rate / (n_fft * LOW_FFT_FACTOR)))
        self._kick_len = max(2, round(KICK_SECONDS / frame_s))
        self._rest_len = _odd(REST_SECONDS / frame_s)
        self._kick_gap = max(1, round(KICK_MIN_GAP / frame_s))
        self._kick_step = 10.0 ** (-KICK_MIN_DECAY_DB_S * frame_s / 20.0)
        self._f_main = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
        f_low = np.fft.rfftfreq(n_fft * LOW_FFT_FACTOR, 1.0 / sample_rate)
        top = SPLIT_HZ * 2.0 ** SPLIT_OCTAVES * 2.0  # the low weight is < 1e-3 above this
        self._n_low = int(np.searchsorted(f_low, max(top, KICK_MODEL_HZ)))
        self._f_low = f_low[:self._n_low]
        self._n_kick = int(np.searchsorted(self._f_low, KICK_MODEL_HZ))
        self._w_low = _lowpass(self._f_low, SPLIT_HZ, SPLIT_OCTAVES)
        self._w_main = 1.0 - _lowpass(self._f_main, SPLIT_HZ, SPLIT_OCTAVES)
        self._bass_low = _lowpass(self._f_low, BASS_CUTOFF_HZ, BASS_OCTAVES)
        self._bass_main = _lowpass(self._f_main, BASS_CUTOFF_HZ, BASS_OCTAVES)
        self._notes_low = _lowpass(self._f_low, BASS_NOTES_HZ, 1.0) * (1 - self._bass_low)
        self._notes_main = _lowpass(self._f_main, BASS_NOTES_HZ, 1.0) * (1 - self._bass_main)

    @property
    def context_seconds(self) -> float:
        """Audio (s) the masks look at on either side of a sample: a streaming caller should
        overlap chunks by about this much on each side."""
        return max(LOW_HARMONIC_SECONDS / 2 + self._low.n_fft / self.sample_rate / 2,
                   KICK_SECONDS)

    def separate(self, chunk: np.ndarray) -> dict[str, np.ndarray]:
        """Split ``chunk`` (``[channels, frames]`` or ``[frames]``, float) into :attr:`stems`.

        Returns a dict of float32 arrays shaped like ``chunk``; their sum is ``chunk`` up to
        float32 rounding. Silence and very short chunks are fine (a chunk shorter than a few
        hundred ms gets poor masks).
        """
        x = np.asarray(chunk, dtype=np.float64)
        mono = x.ndim == 1
        x = np.atleast_2d(x)
        if x.ndim != 2:
            raise ValueError(f"chunk must be [channels, frames], got shape {x.shape}")
        n = x.shape[-1]
        if n == 0:
            return {s: np.zeros(np.shape(chunk), np.float32) for s in self.stems}
        drums, bass = self._drums_and_bass(x)
        out = {"drums": drums, "bass": bass, "other": x - drums - bass}
        return {s: (v[0] if mono else v).astype(np.float32) for s, v in out.items()}

    def _drums_and_bass(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = x.shape[-1]
        main_pad, low_pad = self._main.n_fft, self._low.n_fft
        spec = self._main.forward(x, main_pad)
        mag = np.abs(spec.mean(axis=0)).astype(np.float32)
        drum_mask, transient = self._hpss(mag, self._h_len, self._p_len)
        low_spec = self._low.forward(x, low_pad)[..., :self._n_low]
        low_mag = np.abs(low_spec.mean(axis=0)).astype(np.float32)
        low_drum, low_transient = self._low_drum_mask(low_mag)

        def band(s: np.ndarray, mask: np.ndarray, stft: _Stft, pad: int) -> np.ndarray:
            full = np.zeros((*s.shape[:-1], stft.n_fft // 2 + 1), complex)
            full[..., :mask.shape[-1]] = s * mask
            return stft.inverse(full, pad, n)

        w_main, w_low = self._w_main, self._w_low
        drums = band(spec, drum_mask * w_main, self._main, main_pad)
        drums += band(low_spec, low_drum * w_low, self._low, low_pad)
        bass_main = (self._bass_main + self._notes_main * transient) * self._centred(spec)
        bass_low = (self._bass_low + self._notes_low * low_transient) * self._centred(low_spec)
        bass = band(spec, (1 - drum_mask) * bass_main * w_main, self._main, main_pad)
        bass += band(low_spec, (1 - low_drum) * bass_low * w_low, self._low, low_pad)
        return drums, bass

    def _centred(self, spec: np.ndarray) -> np.ndarray | float:
        """Per bin, the share of the mid channel's energy that is centred (0–1; see
        :data:`CENTRED_BASS`), from ``spec`` ``[channels, frames, bins]``; 1 for mono."""
        if spec.shape[0] != 2 or CENTRED_BASS <= 0:
            return 1.0
        mid = np.square(np.abs(spec[0] + spec[1]) / 2)
        side = np.square(np.abs(spec[0] - spec[1]) / 2)
        size = _odd(CENTRED_SECONDS * self.sample_rate / self._hop)
        mid = uniform_filter1d(mid, size, axis=0, mode="reflect")
        side = uniform_filter1d(side, size, axis=0, mode="reflect")
        share = np.clip((mid - side) / (mid + _EPS), 0.0, 1.0)
        return 1.0 - CENTRED_BASS * (1.0 - share)

    @staticmethod
    def _hpss(mag: np.ndarray, h_len: int, p_len: int) -> tuple[np.ndarray, np.ndarray]:
        """Soft masks of ``mag`` ``[frames, bins]``: percussive (of the whole), and transient
        (of the rest: the part of a bin above its sustained level)."""
        harmonic = _order_filter(mag, h_len, 0)
        percussive = _order_filter(mag, p_len, 1)
        transient = _wiener(np.maximum(mag - harmonic, 0.0), harmonic, MASK_POWER)
        return _wiener(percussive, harmonic, MASK_POWER), transient

    def _low_drum_mask(self, mag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Drum and transient masks of the low band (see :meth:`_hpss`); the drum mask of
        median filtering is overruled by the kick template."""
        mask, transient = self._hpss(mag, self._lh_len, self._lp_len)
        nk = self._n_kick
        kick = self._kick(mag[:, :nk])
        if kick is None:
            return mask, transient
        rest = np.maximum(mag[:, :nk] - kick, 0.0)
        rest = np.maximum(rest, _order_filter(rest, self._rest_len, 0))  # the rest sustains
        covered = (kick.max(axis=1, keepdims=True) > 0).astype(np.float32)
        hpss = mask[:, :nk] * (1.0 - (1.0 - KICK_HPSS_WEIGHT) * covered)
        mask[:, :nk] = np.maximum(_wiener(kick, rest, MASK_POWER), hpss)
        return mask, transient

    def _onsets(self, mag: np.ndarray) -> np.ndarray:
        """Frames where low-frequency energy rises sharply (peaks of the log spectral flux)."""
        lo, hi = np.searchsorted(self._f_low, KICK_BAND_HZ)
        band = mag[:, lo:hi].astype(np.float64)
        level = np.log1p(100.0 * band / (band.max() + _EPS))
        flux = np.maximum(np.diff(level, axis=0, prepend=level[:1]), 0.0).sum(axis=1)
        local = _order_filter(flux[:, None], _odd(1.0 * self.sample_rate / self._hop), 0)[:, 0]
        threshold = local + flux.mean()
        peak = np.zeros(len(flux), bool)
        peak[1:-1] = (flux[1:-1] > threshold[1:-1]) & (flux[1:-1] >= flux[:-2]) & (
            flux[1:-1] > flux[2:])
        kept: list[int] = []
        for t in np.flatnonzero(peak):
            if kept and t - kept[-1] < self._kick_gap:
                if flux[t] > flux[kept[-1]]:
                    kept[-1] = int(t)
                continue
            kept.append(int(t))
        return np.array(kept, int)

    def _kick(self, mag: np.ndarray) -> np.ndarray | None:
        """The kick's magnitude in ``mag`` ``[frames, low bins]`` from a template placed at
        every kick-like onset, or ``None`` when fewer than :data:`KICK_MIN_HITS` are found."""
        frames, length = mag.shape[0], self._kick_len
        onsets = self._onsets(mag)
        if len(onsets) < KICK_MIN_HITS:
            return None
        starts = np.maximum(onsets - 1, 0)  # the frame before: the attack starts within it
        padded = np.pad(mag, ((0, length), (0, 0)))
        patches = np.stack([padded[s:s + length] for s in starts])
        floor = 1e-3 * float(mag.max()) + _EPS
        head = min(4, length)

        def shape(p: np.ndarray) -> np.ndarray:
            d = np.log(p[..., :head, :] + floor).reshape(*p.shape[:-2], -1)
            d = d - d.mean(axis=-1, keepdims=True)
            return d / (np.linalg.norm(d, axis=-1, keepdims=True) + _EPS)

        desc = shape(patches)
        similar = desc @ desc.T > KICK_SIMILARITY
        energy = np.square(patches[:, :head]).sum(axis=(1, 2))
        members = similar[int(np.argmax(similar @ energy))]  # the loudest group
        for _ in range(2):  # refine: members are the onsets that match the group's median
            members = desc @ shape(np.median(patches[members], axis=0)) > KICK_SIMILARITY
            if members.sum() < KICK_MIN_HITS:
                return None
        template = np.quantile(patches[members], KICK_PERCENTILE, axis=0)
        peak_at = np.argmax(template, axis=0)
        for t in range(1, length):
            decayed = np.minimum(template[t], template[t - 1] * self._kick_step)
            template[t] = np.where(t > peak_at, decayed, template[t])
        strong = template > 0.05 * template.max()
        if not strong.any():
            return None
        kick = np.zeros_like(mag)
        hits = np.flatnonzero(members)
        for j, i in enumerate(hits):
            s = starts[i]
            end = starts[hits[j + 1]] if j + 1 < len(hits) else frames
            m = min(length, end - s, frames - s)
            gain = min(float(np.median(patches[i][strong] / template[strong])), 2.0)
            kick[s:s + m] = np.maximum(kick[s:s + m], gain * template[:m])
        return np.minimum(kick, mag)
