"""Tests of core.config: defaults, layering, validation messages, immutability."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

from core.config import (
    _RULES,
    Config,
    bundled_defaults_path,
    default_config,
    default_user_config_path,
    env_var_name,
    load_config,
)
from core.errors import ConfigError, CoreError


def _load(**kwargs: object) -> Config:
    kwargs.setdefault("use_user_file", False)
    kwargs.setdefault("env", {})
    return load_config(**kwargs)  # type: ignore[arg-type]


def _write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- defaults ----------------------------------------------------------------------------------


def test_defaults_load_and_every_key_validates() -> None:
    config = default_config()
    raw = yaml.safe_load(bundled_defaults_path().read_text(encoding="utf-8"))
    expected_keys = {f"{s}.{k}" for s, keys in raw.items() for k in keys}
    assert set(config.keys()) == expected_keys
    for key in config:
        spec = config.spec(key)
        assert spec.validate(spec.default, "test") == config.get(key)
        assert config.source(key).startswith("defaults file ")
    assert config.get("analysis.tempo_min_bpm") == 60.0
    assert config.get("export.quantize") == "1/16"
    assert config.get("cache.dir") is None
    assert config.section("cli") == {"jobs": 1, "format": "json"}


def test_documented_defaults() -> None:
    expected = {
        "audio": {"block_seconds": 10.0, "max_channels": 8, "analysis_sample_rate": 44100,
                  "ffmpeg_path": None},
        "analysis": {"tempo_min_bpm": 60.0, "tempo_max_bpm": 200.0, "style_hint": "auto",
                     "hop_seconds": 0.01, "use_drum_stem": True, "loudness": True},
        "cli": {"jobs": 1, "format": "json"},
        "separation": {"model": "auto", "device": "auto", "format": "flac",
                       "segment_seconds": 7.8, "overlap": 0.25},
        "export": {"out_dir": None, "quantize": "1/16", "strength": 100, "swing": "keep",
                   "drum_map": "gm", "bars": 4},
        "app": {"analyze_on_drop": True, "theme": "dark", "recent_files_max": 10},
    }
    actual = default_config().to_dict()
    for section, keys in expected.items():
        for key, value in keys.items():
            assert actual[section][key] == value, f"{section}.{key}"
    assert actual["cache"]["enabled"] is True and actual["cache"]["dir"] is None


def test_every_constraint_names_a_real_key() -> None:
    keys = set(default_config().keys())
    assert set(_RULES) <= keys


def test_every_default_key_has_a_comment() -> None:
    lines = bundled_defaults_path().read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("  ") and not line.lstrip().startswith("#") and ":" in line:
            assert lines[i - 1].lstrip().startswith("#"), f"no comment above {line.strip()!r}"


def test_default_user_config_path() -> None:
    path = default_user_config_path()
    assert path.name == "config.yaml"
    assert "breakroom" in str(path.parent)


# -- precedence --------------------------------------------------------------------------------


def test_user_file_overrides_defaults(tmp_path: Path) -> None:
    user = _write(tmp_path, "analysis:\n  tempo_min_bpm: 150\n  style_hint: dnb\n")
    config = _load(user_file=user)
    assert config.get("analysis.tempo_min_bpm") == 150.0
    assert config.get("analysis.style_hint") == "dnb"
    assert config.get("analysis.tempo_max_bpm") == 200.0
    assert config.source("analysis.tempo_min_bpm") == str(user)


def test_env_overrides_user_file(tmp_path: Path) -> None:
    user = _write(tmp_path, "analysis:\n  tempo_min_bpm: 150\n")
    env = {"BREAKROOM_ANALYSIS__TEMPO_MIN_BPM": "160", "BREAKROOM_CLI__FORMAT": "yaml",
           "BREAKROOM_SEPARATION__DEVICE": "cpu", "PATH": "/usr/bin",
           "BREAKROOM_SOMETHING": "not a config variable"}
    config = _load(user_file=user, env=env)
    assert config.get("analysis.tempo_min_bpm") == 160.0
    assert config.get("cli.format") == "yaml"
    assert config.source("analysis.tempo_min_bpm") == (
        "environment variable BREAKROOM_ANALYSIS__TEMPO_MIN_BPM")


def test_overrides_beat_env(tmp_path: Path) -> None:
    user = _write(tmp_path, "analysis:\n  tempo_min_bpm: 150\n")
    config = _load(user_file=user, env={"BREAKROOM_ANALYSIS__TEMPO_MIN_BPM": "160"},
                   overrides={"analysis.tempo_min_bpm": 170})
    assert config.get("analysis.tempo_min_bpm") == 170.0
    assert config.source("analysis.tempo_min_bpm") == "override"


def test_env_values_are_yaml_scalars() -> None:
    config = _load(env={"BREAKROOM_CACHE__ENABLED": "false", "BREAKROOM_CLI__JOBS": "4",
                        "BREAKROOM_AUDIO__FFMPEG_PATH": "/opt/ffmpeg/bin/ffmpeg",
                        "BREAKROOM_EXPORT__DRUM_MAP": "808",
                        "BREAKROOM_EXPORT__QUANTIZE": "1/8T"})
    assert config.get("cache.enabled") is False
    assert config.get("cli.jobs") == 4
    assert config.get("audio.ffmpeg_path") == "/opt/ffmpeg/bin/ffmpeg"
    assert config.get("export.drum_map") == "808"  # a string key keeps the raw text
    assert config.get("export.quantize") == "1/8T"
    back = _load(env={"BREAKROOM_AUDIO__FFMPEG_PATH": "null"})
    assert back.get("audio.ffmpeg_path") is None


def test_default_user_file_used_only_when_asked(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    user = _write(tmp_path, "cli:\n  jobs: 3\n")
    monkeypatch.setattr("core.config.default_user_config_path", lambda: user)
    assert load_config(env={}).get("cli.jobs") == 3
    assert load_config(env={}, use_user_file=False).get("cli.jobs") == 1
    monkeypatch.setattr("core.config.default_user_config_path", lambda: tmp_path / "none.yaml")
    assert load_config(env={}).get("cli.jobs") == 1  # a missing default file is fine


def test_explicit_missing_user_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        _load(user_file=tmp_path / "missing.yaml")


def test_empty_user_file_and_empty_section(tmp_path: Path) -> None:
    assert _load(user_file=_write(tmp_path, "# nothing yet\n")) == default_config()
    assert _load(user_file=_write(tmp_path, "analysis:\n", "b.yaml")) == default_config()


def test_env_none_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BREAKROOM_APP__THEME", "light")
    assert load_config(use_user_file=False).get("app.theme") == "light"


# -- unknown keys ------------------------------------------------------------------------------


def test_unknown_key_in_file_names_key_source_and_suggestion(tmp_path: Path) -> None:
    user = _write(tmp_path, "analysis:\n  tempo_mni_bpm: 150\n")
    with pytest.raises(ConfigError) as info:
        _load(user_file=user)
    message = str(info.value)
    assert "'analysis.tempo_mni_bpm'" in message
    assert str(user) in message
    assert "did you mean 'analysis.tempo_min_bpm'?" in message


def test_unknown_section_in_file(tmp_path: Path) -> None:
    user = _write(tmp_path, "anaysis:\n  tempo_min_bpm: 150\n")
    with pytest.raises(ConfigError, match=r"'anaysis\.tempo_min_bpm'.*did you mean "
                                          r"'analysis\.tempo_min_bpm'"):
        _load(user_file=user)
    empty = _write(tmp_path, "separaton: {}\n", "c.yaml")
    with pytest.raises(ConfigError, match=r"unknown section 'separaton'.*'separation'"):
        _load(user_file=empty)


def test_unknown_key_in_env_names_variable() -> None:
    with pytest.raises(ConfigError) as info:
        _load(env={"BREAKROOM_ANALYSIS__TEMPO_MNI_BPM": "150"})
    message = str(info.value)
    assert "'analysis.tempo_mni_bpm'" in message
    assert "BREAKROOM_ANALYSIS__TEMPO_MNI_BPM" in message
    assert "'analysis.tempo_min_bpm'" in message
    assert env_var_name("analysis.tempo_min_bpm") in message


def test_unknown_key_in_overrides() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'cli\.job' in override.*'cli\.jobs'"):
        _load(overrides={"cli.job": 2})


# -- bad values --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "key", "value"), [
    ("analysis:\n  tempo_min_bpm: fast\n", "analysis.tempo_min_bpm", "'fast'"),   # type
    ("cli:\n  jobs: 2.5\n", "cli.jobs", "2.5"),                                    # type
    ("analysis:\n  loudness: 1\n", "analysis.loudness", "1"),                      # bool
    ("cli:\n  jobs: 0\n", "cli.jobs", "0"),                                        # range
    ("analysis:\n  tempo_max_bpm: 900\n", "analysis.tempo_max_bpm", "900"),        # range
    ("separation:\n  overlap: 0.95\n", "separation.overlap", "0.95"),              # range
    ("export:\n  strength: 101\n", "export.strength", "101"),                      # range
    ("analysis:\n  style_hint: polka\n", "analysis.style_hint", "'polka'"),        # enum
    ("export:\n  bars: 3\n", "export.bars", "3"),                                  # enum
    ("export:\n  quantize: 1/12\n", "export.quantize", "'1/12'"),                  # enum
    ("separation:\n  device: tpu\n", "separation.device", "'tpu'"),                # enum
    ("cli:\n  jobs: null\n", "cli.jobs", "null"),                                  # not nullable
    ("export:\n  out_dir: 5\n", "export.out_dir", "5"),                            # nullable str
])
def test_bad_value_in_file_names_key_value_and_source(tmp_path: Path, text: str, key: str,
                                                      value: str) -> None:
    user = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        _load(user_file=user)
    message = str(info.value)
    assert f"'{key}'" in message
    assert value in message
    assert str(user) in message
    assert "expected" in message


def test_bad_enum_lists_choices() -> None:
    with pytest.raises(ConfigError) as info:
        _load(env={"BREAKROOM_CLI__FORMAT": "xml"})
    message = str(info.value)
    assert "'cli.format'" in message and "'xml'" in message
    assert "json, yaml, csv" in message
    assert "BREAKROOM_CLI__FORMAT" in message


def test_out_of_range_override_names_override() -> None:
    with pytest.raises(ConfigError, match=r"'audio\.block_seconds' in override: "
                                          r"expected a number from 0\.5 to 600 \(s\)"):
        _load(overrides={"audio.block_seconds": 0.1})


def test_tempo_min_must_be_below_tempo_max(tmp_path: Path) -> None:
    user = _write(tmp_path, "analysis:\n  tempo_max_bpm: 120\n")
    with pytest.raises(ConfigError) as info:
        _load(user_file=user, env={"BREAKROOM_ANALYSIS__TEMPO_MIN_BPM": "120"})
    message = str(info.value)
    assert "'analysis.tempo_min_bpm'" in message and "'analysis.tempo_max_bpm'" in message
    assert "BREAKROOM_ANALYSIS__TEMPO_MIN_BPM" in message and str(user) in message
    with pytest.raises(ConfigError, match="must be less than"):
        _load(overrides={"analysis.tempo_min_bpm": 210})


def test_int_accepted_for_float_key(tmp_path: Path) -> None:
    config = _load(user_file=_write(tmp_path, "audio:\n  block_seconds: 5\n"),
                   overrides={"separation.overlap": 0})
    assert config.get("audio.block_seconds") == 5.0
    assert isinstance(config.get("audio.block_seconds"), float)
    assert isinstance(config.get("separation.overlap"), float)


def test_bool_is_not_a_number() -> None:
    with pytest.raises(ConfigError, match=r"'cli\.jobs'"):
        _load(overrides={"cli.jobs": True})
    with pytest.raises(ConfigError, match=r"'audio\.block_seconds'"):
        _load(overrides={"audio.block_seconds": float("nan")})


# -- malformed files ---------------------------------------------------------------------------


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    user = _write(tmp_path, "analysis:\n  tempo_min_bpm: 150\n  style_hint: [dnb\ncli:\n")
    with pytest.raises(ConfigError) as info:
        _load(user_file=user)
    message = str(info.value)
    assert str(user) in message
    assert "line 4" in message


def test_bad_indentation_names_line(tmp_path: Path) -> None:
    user = _write(tmp_path, "cli:\n  jobs: 2\n format: csv\n")
    with pytest.raises(ConfigError, match=r"line 3"):
        _load(user_file=user)


def test_duplicate_key_rejected_with_line(tmp_path: Path) -> None:
    user = _write(tmp_path, "cli:\n  jobs: 2\n  jobs: 3\n")
    with pytest.raises(ConfigError, match=r"line 3.*duplicate key 'jobs'"):
        _load(user_file=user)


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mapping of sections"):
        _load(user_file=_write(tmp_path, "- analysis\n"))
    with pytest.raises(ConfigError, match=r"section 'cli'.*mapping"):
        _load(user_file=_write(tmp_path, "cli: 4\n", "d.yaml"))


def test_custom_defaults_path(tmp_path: Path) -> None:
    defaults = _write(tmp_path, "demo:\n  gain_db: -3.0\n  name: null\n", "defaults.yaml")
    config = _load(defaults_path=defaults, env={"BREAKROOM_DEMO__NAME": "kick"})
    assert config.to_dict() == {"demo": {"gain_db": -3.0, "name": "kick"}}
    broken = _write(tmp_path, "demo:\n  gain_db: -3.0\n   name: x\n", "broken.yaml")
    with pytest.raises(ConfigError, match=r"broken\.yaml.*line 3"):
        _load(defaults_path=broken)


# -- the Config object -------------------------------------------------------------------------


def test_config_is_immutable() -> None:
    config = default_config()
    with pytest.raises(AttributeError):
        config.foo = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        config._values = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.section("analysis")["tempo_min_bpm"] = 1.0  # type: ignore[index]
    copy = config.to_dict()
    copy["analysis"]["tempo_min_bpm"] = 1.0
    assert config.get("analysis.tempo_min_bpm") == 60.0


def test_with_overrides_returns_new_config() -> None:
    config = default_config()
    changed = config.with_overrides({"analysis.tempo_min_bpm": 100, "app": {"theme": "light"}})
    assert changed.get("analysis.tempo_min_bpm") == 100.0
    assert changed.get("app.theme") == "light"
    assert config.get("analysis.tempo_min_bpm") == 60.0
    assert changed != config
    with pytest.raises(ConfigError):
        config.with_overrides({"analysis.tempo_max_bpm": 50})


def test_lookup_errors_and_helpers(tmp_path: Path) -> None:
    config = _load(overrides={"cache.dir": "~/breakroom-cache"})
    with pytest.raises(ConfigError, match=r"did you mean 'analysis\.tempo_min_bpm'"):
        config.get("analysis.tempo_mn_bpm")
    with pytest.raises(ConfigError, match="unknown section"):
        config.section("analyss")
    assert isinstance(ConfigError("x"), CoreError)
    assert config.path("cache.dir") == Path("~/breakroom-cache").expanduser()
    assert config.path("export.out_dir") is None
    assert "cli.jobs" in config and "cli.nope" not in config
    assert config["cli.jobs"] == 1


def test_config_pickles_and_hashes() -> None:
    config = default_config().with_overrides({"cli.jobs": 4})
    clone = pickle.loads(pickle.dumps(config))
    assert clone == config and hash(clone) == hash(config)
    assert clone.source("cli.jobs") == "override"
