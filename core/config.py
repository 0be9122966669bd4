"""Breakroom's typed, validated, immutable configuration.

Every setting has its default, with a comment, in ``configs/default.yaml``; that file *is* the
schema: a key's type is its default's type (an ``int`` is accepted where the default is a
``float``; a key whose default is ``null`` takes a string or ``null``). Explicit constraints —
allowed choices, numeric ranges, units — are layered on top here, in :data:`_RULES`.

Four layers are merged, lowest precedence first:

1. the defaults file;
2. the user file (``config.yaml`` in the platform config directory, or an explicit path);
3. environment variables ``BREAKROOM_<SECTION>__<KEY>``, values parsed as YAML scalars
   (``BREAKROOM_ANALYSIS__TEMPO_MIN_BPM=150``);
4. explicit overrides (command-line flags), dotted keys such as ``"analysis.tempo_min_bpm"``.

Each layer is checked on its own, so an error names the key, the offending value, what is
allowed and where the value came from (the file, the environment variable or ``override``).
Nothing here reads global state implicitly except ``os.environ`` when ``env`` is ``None`` and the
default user file when ``use_user_file`` is true.

>>> config = load_config(use_user_file=False, env={})
>>> config.get("analysis.tempo_min_bpm")
60.0
>>> config.with_overrides({"analysis.tempo_min_bpm": 150}).get("analysis.tempo_min_bpm")
150.0
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeAlias

import platformdirs
import yaml

from core.errors import ConfigError

__all__ = [
    "APP_NAME",
    "ENV_PREFIX",
    "Config",
    "KeySpec",
    "Scalar",
    "bundled_defaults_path",
    "default_config",
    "default_user_config_path",
    "env_var_name",
    "load_config",
]

APP_NAME = "breakroom"
"""Application name used for the platform config and cache directories."""

ENV_PREFIX = "BREAKROOM_"
"""Prefix of configuration environment variables: ``BREAKROOM_<SECTION>__<KEY>``."""

_ENV_SEPARATOR = "__"
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")  # snake_case, never "__"

Scalar: TypeAlias = "bool | int | float | str | None"

_SOURCE_OVERRIDE = "override"


# --------------------------------------------------------------------------------------------
# Constraints on top of the types inferred from default.yaml
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """Explicit constraints for one key (everything optional)."""

    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    non_empty: bool = False


_STYLES = ("auto", "dnb", "jungle", "dubstep", "trap", "hiphop", "house", "techno", "idm")

_RULES: Mapping[str, _Rule] = MappingProxyType({
    "audio.block_seconds": _Rule(minimum=0.5, maximum=600.0, unit="s"),
    "audio.max_channels": _Rule(minimum=1, maximum=8, unit="channels"),
    "audio.analysis_sample_rate": _Rule(minimum=8000, maximum=192000, unit="Hz"),
    "audio.ffmpeg_path": _Rule(non_empty=True),
    "analysis.tempo_min_bpm": _Rule(minimum=20.0, maximum=400.0, unit="BPM"),
    "analysis.tempo_max_bpm": _Rule(minimum=20.0, maximum=400.0, unit="BPM"),
    "analysis.style_hint": _Rule(choices=_STYLES),
    "analysis.drums": _Rule(choices=("model", "classic")),
    "analysis.device": _Rule(choices=("auto", "cpu", "cuda", "mps")),
    "analysis.hop_seconds": _Rule(minimum=0.001, maximum=0.5, unit="s"),
    "cache.dir": _Rule(non_empty=True),
    "cache.max_mb": _Rule(minimum=1, maximum=1 << 20, unit="MiB"),
    "cli.jobs": _Rule(minimum=1, maximum=64, unit="files"),
    "cli.format": _Rule(choices=("json", "yaml", "csv")),
    "separation.model": _Rule(
        choices=("auto", "htdemucs", "htdemucs_ft", "htdemucs_6s", "classic")),
    "separation.device": _Rule(choices=("auto", "cpu", "cuda", "mps")),
    "separation.format": _Rule(choices=("flac", "wav")),
    "separation.segment_seconds": _Rule(minimum=0.5, maximum=7.8, unit="s"),
    "separation.overlap": _Rule(minimum=0.0, maximum=0.9, unit="fraction of a segment"),
    "export.out_dir": _Rule(non_empty=True),
    "export.quantize": _Rule(choices=("1/4", "1/8", "1/16", "1/32", "1/8T", "1/16T")),
    "export.strength": _Rule(minimum=0, maximum=100, unit="%"),
    "export.swing": _Rule(choices=("keep", "straight")),
    "export.drum_map": _Rule(non_empty=True),
    "export.bars": _Rule(choices=(1, 2, 4, 8, 16), unit="bars"),
    "app.theme": _Rule(choices=("dark", "light")),
    "app.recent_files_max": _Rule(minimum=0, maximum=100, unit="entries"),
})

# (lesser, greater): the first key's value must be strictly below the second's.
_ORDERED_PAIRS: tuple[tuple[str, str], ...] = (
    ("analysis.tempo_min_bpm", "analysis.tempo_max_bpm"),
)


# --------------------------------------------------------------------------------------------
# Key specifications
# --------------------------------------------------------------------------------------------


def _show(value: object) -> str:
    """Render a value for an error message the way it would be written in YAML."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _num(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class KeySpec:
    """What one configuration key accepts.

    Attributes
    ----------
    key : str
        Full dotted key, ``"section.key"``.
    kind : type
        ``bool``, ``int``, ``float`` or ``str`` (an ``int`` is accepted for ``float``).
    default : bool | int | float | str | None
        The value in the defaults file.
    nullable : bool
        Whether ``null`` (``None``) is allowed — true exactly when the default is ``null``.
    choices : tuple or None
        Allowed values, when the key is an enumeration.
    minimum, maximum : float or None
        Inclusive numeric bounds, in ``unit``.
    unit : str
        Unit of a numeric value (``"s"``, ``"Hz"``, ``"BPM"``, ``"%"`` …), or ``""``.
    non_empty : bool
        Whether a string must contain something other than whitespace.
    """

    key: str
    kind: type
    default: Scalar
    nullable: bool = False
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    non_empty: bool = False

    def describe(self) -> str:
        """Say in words what the key accepts, e.g. ``"a number from 20 to 400 (BPM)"``."""
        if self.choices is not None:
            text = "one of " + ", ".join(str(c) for c in self.choices)
        elif self.kind is bool:
            text = "true or false"
        elif self.kind in (int, float):
            text = "an integer" if self.kind is int else "a number"
            if self.minimum is not None and self.maximum is not None:
                text += f" from {_num(self.minimum)} to {_num(self.maximum)}"
            elif self.minimum is not None:
                text += f" of at least {_num(self.minimum)}"
            elif self.maximum is not None:
                text += f" of at most {_num(self.maximum)}"
        else:
            text = "a non-empty string" if self.non_empty else "a string"
        if self.unit:
            text += f" ({self.unit})"
        if self.nullable:
            text += " or null"
        return text

    def validate(self, value: object, source: str) -> Scalar:
        """Return ``value`` converted to the key's type, or raise :class:`ConfigError`.

        Parameters
        ----------
        value : object
            The candidate value.
        source : str
            Where it came from (a file path, ``"environment variable NAME"``, ``"override"``);
            used in the error message.

        Returns
        -------
        bool | int | float | str | None
            The value; an ``int`` given for a ``float`` key comes back as ``float``.

        Raises
        ------
        ConfigError
            Naming the key, the value, what is allowed and ``source``.
        """
        if value is None:
            if self.nullable:
                return None
            raise self._invalid(value, source)
        checked: Scalar
        if self.kind is bool:
            if not isinstance(value, bool):
                raise self._invalid(value, source)
            checked = value
        elif self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self._invalid(value, source)
            checked = int(value)
        elif self.kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self._invalid(value, source)
            checked = float(value)
            if not math.isfinite(checked):
                raise self._invalid(value, source)
        else:
            if not isinstance(value, str) or (self.non_empty and not value.strip()):
                raise self._invalid(value, source)
            checked = value
        if self.choices is not None and checked not in self.choices:
            raise self._invalid(value, source)
        if isinstance(checked, (int, float)) and not isinstance(checked, bool):
            if self.minimum is not None and checked < self.minimum:
                raise self._invalid(value, source)
            if self.maximum is not None and checked > self.maximum:
                raise self._invalid(value, source)
        return checked

    def _invalid(self, value: object, source: str) -> ConfigError:
        return ConfigError(
            f"invalid value {_show(value)} for '{self.key}' in {source}: "
            f"expected {self.describe()}"
        )


# --------------------------------------------------------------------------------------------
# YAML reading
# --------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node)
        try:
            duplicate = key in seen
        except TypeError:  # unhashable; construct_mapping reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark,
                f"found duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path, what: str) -> object:
    """Parse a YAML file; every failure becomes a :class:`ConfigError` naming the file."""
    if not path.exists():
        raise ConfigError(f"{what} {path} does not exist")
    if not path.is_file():
        raise ConfigError(f"{what} {path} is not a file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text (byte {exc.start})") from exc
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no object tags
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"malformed YAML in {path}{where}: {problem}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"malformed YAML in {path}: {exc}") from exc


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


def bundled_defaults_path() -> Path:
    """Path of ``configs/default.yaml`` shipped with Breakroom (beside the ``core`` package)."""
    return Path(__file__).resolve().parent.parent / "configs" / "default.yaml"


def default_user_config_path() -> Path:
    """Path of the user's config file; it need not exist.

    Returns
    -------
    Path
        ``platformdirs.user_config_dir("breakroom") / "config.yaml"``
        (``~/.config/breakroom/config.yaml`` on Linux).
    """
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.yaml"


def _load_schema(defaults_path: Path) -> tuple[dict[str, KeySpec], dict[str, Scalar]]:
    """Read the defaults file; return the key specs and the validated defaults (dotted keys)."""
    source = f"defaults file {defaults_path}"
    data = _read_yaml(defaults_path, "defaults file")
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{source} must be a non-empty mapping of sections")
    specs: dict[str, KeySpec] = {}
    values: dict[str, Scalar] = {}
    for section, keys in data.items():
        if not isinstance(section, str) or not _NAME_RE.match(section):
            raise ConfigError(f"{source}: section name {section!r} is not snake_case")
        if not isinstance(keys, dict) or not keys:
            raise ConfigError(f"{source}: section '{section}' must be a non-empty mapping")
        for key, default in keys.items():
            if not isinstance(key, str) or not _NAME_RE.match(key):
                raise ConfigError(f"{source}: key {key!r} in '{section}' is not snake_case")
            dotted = f"{section}.{key}"
            if default is not None and not isinstance(default, (bool, int, float, str)):
                raise ConfigError(
                    f"{source}: '{dotted}' must have a scalar default, got {_show(default)}")
            rule = _RULES.get(dotted, _Rule())
            spec = KeySpec(
                key=dotted,
                kind=str if default is None else type(default),
                default=default,
                nullable=default is None,
                choices=rule.choices,
                minimum=rule.minimum,
                maximum=rule.maximum,
                unit=rule.unit,
                non_empty=rule.non_empty,
            )
            values[dotted] = spec.validate(default, source)
            specs[dotted] = spec
    return specs, values


def _suggest(dotted: str, specs: Mapping[str, KeySpec]) -> str | None:
    """Nearest valid dotted key to a misspelt one, or ``None``."""
    section, _, key = dotted.partition(".")
    if key:
        same_section = [k.partition(".")[2] for k in specs if k.partition(".")[0] == section]
        match = difflib.get_close_matches(key, same_section, n=1, cutoff=0.6)
        if match:
            return f"{section}.{match[0]}"
    match = difflib.get_close_matches(dotted, list(specs), n=1, cutoff=0.6)
    return match[0] if match else None


def _unknown(dotted: str, source: str, specs: Mapping[str, KeySpec], *,
             env: bool = False) -> ConfigError:
    suggestion = _suggest(dotted, specs)
    tail = ""
    if suggestion:
        variable = f", variable {env_var_name(suggestion)}" if env else ""
        tail = f" (did you mean '{suggestion}'{variable}?)"
    return ConfigError(f"unknown key '{dotted}' in {source}{tail}")


def _unknown_section(section: str, source: str, specs: Mapping[str, KeySpec]) -> ConfigError:
    sections = list(dict.fromkeys(k.partition(".")[0] for k in specs))
    match = difflib.get_close_matches(section, sections, n=1, cutoff=0.6)
    tail = f" (did you mean '{match[0]}'?)" if match else f" (known: {', '.join(sections)})"
    return ConfigError(f"unknown section '{section}' in {source}{tail}")


# --------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------


class _Layers:
    """Mutable merge state used while building a :class:`Config` (never escapes this module)."""

    def __init__(self, specs: Mapping[str, KeySpec], values: Mapping[str, Scalar],
                 sources: Mapping[str, str]) -> None:
        self.specs = specs
        self.values = dict(values)
        self.sources = dict(sources)
        self._sections = {k.partition(".")[0] for k in specs}

    def set(self, dotted: str, value: object, source: str) -> None:
        spec = self.specs.get(dotted)
        if spec is None:
            raise _unknown(dotted, source, self.specs)
        self.values[dotted] = spec.validate(value, source)
        self.sources[dotted] = source

    def apply_nested(self, data: Mapping[Any, Any], source: str) -> None:
        """Apply ``{section: {key: value}}`` (a user file)."""
        for section, keys in data.items():
            name = str(section)
            if name not in self._sections:
                if isinstance(keys, Mapping) and keys:
                    raise _unknown(f"{name}.{next(iter(keys))}", source, self.specs)
                raise _unknown_section(name, source, self.specs)
            if keys is None:  # "analysis:" with every key commented out
                continue
            if not isinstance(keys, Mapping):
                raise ConfigError(
                    f"section '{name}' in {source} must be a mapping of keys, "
                    f"got {_show(keys)}")
            for key, value in keys.items():
                self.set(f"{name}.{key}", value, source)

    def apply_env(self, env: Mapping[str, str]) -> None:
        """Apply ``BREAKROOM_<SECTION>__<KEY>`` variables; other variables are ignored."""
        for name in sorted(env):
            upper = name.upper()
            if not upper.startswith(ENV_PREFIX):
                continue
            rest = upper[len(ENV_PREFIX):]
            if _ENV_SEPARATOR not in rest:
                continue  # BREAKROOM_SOMETHING_ELSE: not a configuration variable
            section, _, key = rest.partition(_ENV_SEPARATOR)
            dotted = f"{section.lower()}.{key.lower()}"
            source = f"environment variable {name}"
            spec = self.specs.get(dotted)
            if spec is None:
                raise _unknown(dotted, source, self.specs, env=True)
            self.set(dotted, _parse_env_value(env[name], spec), source)

    def apply_overrides(self, overrides: Mapping[str, object]) -> None:
        """Apply ``{"section.key": value}`` (or ``{"section": {key: value}}``)."""
        for name, value in overrides.items():
            if "." not in str(name) and isinstance(value, Mapping):
                self.apply_nested({name: value}, _SOURCE_OVERRIDE)
            else:
                self.set(str(name), value, _SOURCE_OVERRIDE)

    def check_relations(self) -> None:
        for lesser, greater in _ORDERED_PAIRS:
            if lesser not in self.values or greater not in self.values:
                continue
            low, high = self.values[lesser], self.values[greater]
            if (isinstance(low, (int, float)) and isinstance(high, (int, float))
                    and not low < high):
                unit = self.specs[lesser].unit
                unit = f" {unit}" if unit else ""
                raise ConfigError(
                    f"'{lesser}' ({_show(low)}{unit}, from {self.sources[lesser]}) must be less "
                    f"than '{greater}' ({_show(high)}{unit}, from {self.sources[greater]})")


def env_var_name(dotted: str) -> str:
    """Environment variable that sets a dotted key: ``"analysis.tempo_min_bpm"`` →
    ``"BREAKROOM_ANALYSIS__TEMPO_MIN_BPM"``."""
    section, _, key = dotted.partition(".")
    return f"{ENV_PREFIX}{section.upper()}{_ENV_SEPARATOR}{key.upper()}"


def _parse_env_value(raw: str, spec: KeySpec) -> object:
    """Parse an environment value as a YAML scalar.

    Text that is not a YAML scalar (``a: b``, ``[1]``, a date …) stays the raw string, and so
    does any non-null value for a string key (``BREAKROOM_EXPORT__DRUM_MAP=808`` is ``"808"``).
    """
    try:
        parsed = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    if parsed is not None and not isinstance(parsed, (bool, int, float, str)):
        return raw
    if spec.kind is str and parsed is not None and not isinstance(parsed, str):
        return raw.strip()
    return parsed


# --------------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------------


class Config:
    """An immutable, validated set of settings. Build one with :func:`load_config`.

    Keys are dotted, ``"section.key"``. Attribute assignment raises ``AttributeError``; the
    mappings returned by :meth:`section` are read-only views. Configs compare equal when their
    values are equal (where each value came from is not compared) and can be pickled.
    """

    __slots__ = ("_sections", "_sources", "_specs", "_values")

    _specs: Mapping[str, KeySpec]
    _values: Mapping[str, Scalar]
    _sources: Mapping[str, str]
    _sections: Mapping[str, Mapping[str, Scalar]]

    def __init__(self, specs: Mapping[str, KeySpec], values: Mapping[str, Scalar],
                 sources: Mapping[str, str]) -> None:
        """Wrap already validated values. Use :func:`load_config` instead of calling this."""
        if set(values) != set(specs) or set(sources) != set(specs):
            raise ConfigError("internal: config values, sources and specs disagree")
        grouped: dict[str, dict[str, Scalar]] = {}
        for dotted, value in values.items():
            section, _, key = dotted.partition(".")
            grouped.setdefault(section, {})[key] = value
        object.__setattr__(self, "_specs", MappingProxyType(dict(specs)))
        object.__setattr__(self, "_values", MappingProxyType(dict(values)))
        object.__setattr__(self, "_sources", MappingProxyType(dict(sources)))
        object.__setattr__(self, "_sections", MappingProxyType(
            {name: MappingProxyType(keys) for name, keys in grouped.items()}))

    # -- immutability --------------------------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Config is immutable; use with_overrides() (tried to set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Config is immutable (tried to delete {name!r})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Config, (dict(self._specs), dict(self._values), dict(self._sources)))

    # -- access --------------------------------------------------------------------------------

    def _spec(self, key: str) -> KeySpec:
        spec = self._specs.get(key)
        if spec is None:
            raise _unknown(key, "config lookup", self._specs)
        return spec

    def get(self, key: str) -> Scalar:
        """Value of a dotted key, e.g. ``config.get("analysis.tempo_min_bpm")`` → ``60.0``.

        Raises
        ------
        ConfigError
            If the key does not exist (the message suggests the nearest one).
        """
        self._spec(key)
        return self._values[key]

    def __getitem__(self, key: str) -> Scalar:
        return self.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def path(self, key: str) -> Path | None:
        """A string key as a :class:`~pathlib.Path` with ``~`` expanded; ``None`` if null."""
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ConfigError(f"'{key}' is not a path setting (its value is {_show(value)})")
        return Path(value).expanduser()

    def section(self, name: str) -> Mapping[str, Scalar]:
        """Read-only mapping ``key -> value`` of one section (keys without the section prefix).

        Raises
        ------
        ConfigError
            If there is no such section.
        """
        found = self._sections.get(name)
        if found is None:
            raise _unknown_section(name, "config lookup", self._specs)
        return found

    @property
    def sections(self) -> tuple[str, ...]:
        """Section names, in defaults-file order."""
        return tuple(self._sections)

    def keys(self) -> tuple[str, ...]:
        """Every dotted key, in defaults-file order."""
        return tuple(self._values)

    def spec(self, key: str) -> KeySpec:
        """What ``key`` accepts (type, choices, range, unit, default)."""
        return self._spec(key)

    def source(self, key: str) -> str:
        """Where the value of ``key`` came from: ``"defaults file …"``, a user-file path,
        ``"environment variable BREAKROOM_…"`` or ``"override"``."""
        self._spec(key)
        return self._sources[key]

    def to_dict(self) -> dict[str, dict[str, Scalar]]:
        """A plain, mutable, nested copy ``{section: {key: value}}`` (e.g. to dump as YAML)."""
        return {name: dict(keys) for name, keys in self._sections.items()}

    def with_overrides(self, overrides: Mapping[str, object]) -> Config:
        """A new config with ``overrides`` (dotted keys, source ``"override"``) applied.

        Raises
        ------
        ConfigError
            For an unknown key or an invalid value; ``self`` is unchanged either way.
        """
        layers = _Layers(self._specs, self._values, self._sources)
        layers.apply_overrides(overrides)
        layers.check_relations()
        return Config(self._specs, layers.values, layers.sources)

    # -- comparison ----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return dict(self._values) == dict(other._values)

    def __hash__(self) -> int:
        return hash(tuple(self._values.items()))

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != self._specs[k].default}
        return f"Config({changed!r})" if changed else "Config(<defaults>)"


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_config(*, user_file: Path | None = None, use_user_file: bool = True,
                env: Mapping[str, str] | None = None,
                overrides: Mapping[str, object] | None = None,
                defaults_path: Path | None = None) -> Config:
    """Load defaults, then the user file, the environment and ``overrides``, validating each.

    Parameters
    ----------
    user_file : Path or None
        A user config file to read; it must exist. When ``None``, the default user file
        (:func:`default_user_config_path`) is read if ``use_user_file`` is true and it exists.
    use_user_file : bool
        Whether to fall back to the default user file when ``user_file`` is ``None``. An
        explicit ``user_file`` is always read. Pass ``False`` for reproducible runs and tests.
    env : Mapping[str, str] or None
        Environment to take ``BREAKROOM_<SECTION>__<KEY>`` variables from; ``None`` means
        ``os.environ``; pass ``{}`` to ignore the environment. Variables with the prefix but no
        ``__`` are not configuration variables and are ignored.
    overrides : Mapping[str, object] or None
        Highest-precedence values keyed by dotted key (``{"cli.jobs": 4}``), e.g. from
        command-line flags. Values are used as given (not parsed); ``None`` means null.
    defaults_path : Path or None
        Defaults file defining the keys; ``None`` means the bundled ``configs/default.yaml``.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        For a missing, unreadable or malformed file (with line and column), an unknown section
        or key (with the nearest valid key), an invalid value (with what is allowed), or
        ``analysis.tempo_min_bpm >= analysis.tempo_max_bpm``; always naming the source.
    """
    defaults_file = bundled_defaults_path() if defaults_path is None else Path(defaults_path)
    specs, defaults = _load_schema(defaults_file)
    default_source = f"defaults file {defaults_file}"
    layers = _Layers(specs, defaults, dict.fromkeys(specs, default_source))

    if user_file is None and use_user_file:
        candidate = default_user_config_path()
        user_file = candidate if candidate.is_file() else None
    if user_file is not None:
        path = Path(user_file).expanduser()
        data = _read_yaml(path, "config file")
        if data is not None:
            if not isinstance(data, Mapping):
                raise ConfigError(
                    f"config file {path} must be a mapping of sections (e.g. 'analysis:'), "
                    f"got {_show(data)}")
            layers.apply_nested(data, str(path))

    layers.apply_env(os.environ if env is None else env)
    if overrides:
        layers.apply_overrides(overrides)
    layers.check_relations()
    return Config(specs, layers.values, layers.sources)


def default_config(defaults_path: Path | None = None) -> Config:
    """The defaults alone: no user file, no environment, no overrides."""
    return load_config(use_user_file=False, env={}, defaults_path=defaults_path)
