"""The process's configuration: one typed object read from the environment, a bad value refused at
start naming its variable, the callers' overrides on top, and the domain's defaults written once
(in `dispatch.settings`), which the configuration reads rather than repeats."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from dispatch.clock import Policies
from dispatch.settings import Settings
from server import config as cfgmod
from server.bootstrap import settings as settings_from_config
from server.config import Config, ConfigError


def test_values_from_the_environment_are_typed() -> None:
    cfg = cfgmod.load(None, {
        "DATABASE_URL": "postgresql://db/x", "PORT": "8080", "DISPATCH_ADMISSION_LIMIT": "3",
        "DISPATCH_ADMISSION_WAIT_SECONDS": "0.5", "DISPATCH_SEED_DEMO": "yes",
        "DISPATCH_SIGNIN_LIMIT_ENABLED": "0", "DISPATCH_PHOTO_DIR": "/srv/photos",
        "DISPATCH_DEADLINES": '{"water_cut": {"restore": 7200}}'})
    assert (cfg.DATABASE_URL, cfg.PORT, cfg.ADMISSION_LIMIT) == ("postgresql://db/x", 8080, 3)
    assert cfg.ADMISSION_WAIT_SECONDS == 0.5
    assert cfg.SEED_DEMO is True and cfg.SIGNIN_LIMIT_ENABLED is False
    assert cfg.PHOTO_DIR == Path("/srv/photos")
    assert cfg.DEADLINES == {"water_cut": {"restore": 7200.0}}


def test_with_no_environment_every_setting_is_its_default() -> None:
    assert cfgmod.load(None, {}) == Config()


def test_plain_names_have_no_prefix_and_the_others_have_it() -> None:
    cfg = cfgmod.load(None, {"DISPATCH_PORT": "1", "DISPATCH_DATABASE_URL": "x",
                             "ADMISSION_LIMIT": "1"})
    assert (cfg.PORT, cfg.DATABASE_URL, cfg.ADMISSION_LIMIT) == (5000, None, 10)
    assert (cfgmod.env_name("PORT"), cfgmod.env_name("ADMISSION_LIMIT")) == (
        "PORT", "DISPATCH_ADMISSION_LIMIT")


def test_names_are_case_sensitive_and_an_empty_value_is_unset() -> None:
    cfg = cfgmod.load(None, {"dispatch_admission_limit": "1", "DISPATCH_TILE_DATUM": "",
                             "DISPATCH_ADMISSION_QUEUE": ""})
    assert (cfg.ADMISSION_LIMIT, cfg.TILE_DATUM, cfg.ADMISSION_QUEUE) == (10, "wgs84", 50)


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("DISPATCH_ADMISSION_LIMIT", "ten", "integer"),
    ("DISPATCH_ADMISSION_LIMIT", "2.5", "integer"),
    ("PORT", "50OO", "integer"),
    ("DISPATCH_SWEEP_SECONDS", "1s", "number"),
    ("DISPATCH_SEED_DEMO", "maybe", "boolean"),  # was read as false
    ("DISPATCH_SIGNIN_LIMIT_ENABLED", "enabled", "boolean"),  # was read as false: limits off
    ("DISPATCH_DEADLINES", "{arrival: 60}", "not JSON"),
    ("DISPATCH_DEADLINES", "[60]", "dictionary"),
    ("DISPATCH_DEADLINES", '{"default": {"arrival": "soon"}}', "default.arrival"),
    ("DISPATCH_GREEN_CHANNEL_DEADLINES", '{"default": {"arival": 60}}', "unknown deadline keys"),
])
def test_a_bad_value_stops_the_start_naming_the_variable(variable: str, value: str,
                                                         says: str) -> None:
    with pytest.raises(ConfigError) as err:
        cfgmod.load(None, {variable: value})
    assert f"environment variable {variable}" in str(err.value) and says in str(err.value)
    assert isinstance(err.value, ValueError)


def test_every_bad_variable_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        cfgmod.load(None, {"DISPATCH_ADMISSION_LIMIT": "x", "DISPATCH_ADMISSION_QUEUE": "y"})
    assert "DISPATCH_ADMISSION_LIMIT" in str(err.value)
    assert "DISPATCH_ADMISSION_QUEUE" in str(err.value)


def test_create_app_refuses_a_bad_environment_before_building_anything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from server import create_app

    monkeypatch.setenv("DISPATCH_ADMISSION_QUEUE", "fifty")
    with pytest.raises(ConfigError, match="environment variable DISPATCH_ADMISSION_QUEUE"):
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance")})
    assert not (tmp_path / "instance").exists()


def test_overrides_beat_the_environment_and_keep_todays_keys() -> None:
    def clock() -> datetime:
        return datetime(2026, 11, 27)
    cfg = cfgmod.load({"TESTING": True, "CLOCK": clock, "ADMISSION_LIMIT": 0,
                       "DATABASE_URL": None, "INSTANCE_PATH": "/tmp/x"},
                      {"DISPATCH_ADMISSION_LIMIT": "7", "DATABASE_URL": "postgresql://db/x"})
    assert cfg.TESTING is True and cfg.CLOCK is clock
    assert (cfg.ADMISSION_LIMIT, cfg.DATABASE_URL, cfg.INSTANCE_PATH) == (0, None, Path("/tmp/x"))


def test_an_unknown_or_bad_override_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="ADMISSON_LIMIT: no such setting"):
        cfgmod.load({"ADMISSON_LIMIT": 0}, {})
    with pytest.raises(ConfigError, match="setting ADMISSION_LIMIT: .*integer"):
        cfgmod.load({"ADMISSION_LIMIT": "many"}, {})


def test_the_tests_settings_are_never_read_from_the_environment() -> None:
    cfg = cfgmod.load(None, {"DISPATCH_TESTING": "true", "DISPATCH_CLOCK": "x"})
    assert cfg.TESTING is False and cfg.CLOCK is None


def test_the_configuration_cannot_change_once_read() -> None:
    cfg = cfgmod.load(None, {})
    with pytest.raises(ValidationError):
        cfg.ADMISSION_LIMIT = 1  # type: ignore[misc]  # the point: frozen


def test_config_alone_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """`load()` is the one reader: a Config built elsewhere is its defaults and its arguments."""
    monkeypatch.setenv("DISPATCH_ADMISSION_LIMIT", "3")
    assert Config().ADMISSION_LIMIT == 10
    assert cfgmod.load().ADMISSION_LIMIT == 3


# -- the domain's defaults, written once -------------------------------------------------
def test_the_default_configuration_gives_the_domains_own_settings(tmp_path: Path) -> None:
    """Every knob the configuration feeds is at the domain's default when nothing is set: each
    default is the domain's, read, not a second copy that could differ."""
    built = settings_from_config(Config(), tmp_path)
    assert built == dataclasses.replace(Settings(), photo_dir=tmp_path / "photos")


def test_the_settings_that_feed_the_domain_write_no_default_of_their_own() -> None:
    """Read in the source: each field that `bootstrap.settings()` hands to the domain takes its
    default from `dispatch.settings` (the `_RULE` instance or its named constant), so a change
    of the rule is made in one place."""
    import ast
    import inspect

    from server import bootstrap

    fed = set(re.findall(r"cfg\.([A-Z0-9_]+)", inspect.getsource(bootstrap.settings)))
    fed -= {"DEADLINES", "PHOTO_DIR", "TIME_SCALE"}  # unset by default: the rule's, or a folder
    assert len(fed) >= 18
    tree = ast.parse(Path(cfgmod.__file__).read_text(encoding="utf-8"))
    config = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Config")
    defaults = {n.target.id: n.value for n in config.body
                if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
                and isinstance(n.value, ast.Call)}
    for name in sorted(fed):
        default = defaults[name].args[0]  # type: ignore[attr-defined]  # _setting(default, ...)
        names = {n.id for n in ast.walk(default) if isinstance(n, ast.Name)}
        assert names & {"_RULE", "GREEN_CHANNEL_DEADLINES"}, f"{name}: a default of its own"


def test_the_green_channels_clocks_are_the_domains() -> None:
    cfg = Config()
    assert Policies.from_seconds(cfg.GREEN_CHANNEL_DEADLINES) == (
        Settings().green_channel_policies)
    cfg.GREEN_CHANNEL_DEADLINES["default"]["arrival"] = 1  # a copy: the rule's stays
    assert Config().GREEN_CHANNEL_DEADLINES["default"]["arrival"] == 20 * 60


def test_the_token_lifetime_reaches_the_views_through_the_domains_settings(tmp_path: Path) -> None:
    cfg = cfgmod.load({"TOKEN_TTL_SECONDS": 60}, {})
    assert settings_from_config(cfg, tmp_path).token_ttl == timedelta(seconds=60)
