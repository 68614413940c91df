"""Configuration and the command-line parser (options, env vars, config files)."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from typing import Any

import pytest

from comfy.cli_args import create_parser, default_configuration, parse_args
from comfy.cli_args_types import DEFAULTS, Configuration, LatentPreviewMethod


def parse(argv: list[str], env: dict[str, str] | None = None) -> Configuration:
    return parse_args(argv, env=env or {}, default_config_files=(), legacy_entry_points=False)


@pytest.mark.parametrize(
    ("argv", "key", "expected"),
    [
        ([], "port", 8188),
        (["--port", "9000"], "port", 9000),
        (["-w", "/srv/comfy"], "cwd", "/srv/comfy"),
        (["--cwd", "/srv/comfy"], "cwd", "/srv/comfy"),
        (["--base-directory", "/b"], "base_directory", "/b"),
        ([], "listen", "127.0.0.1"),
        (["--listen"], "listen", "0.0.0.0,::"),
        (["-H", "10.0.0.1"], "listen", "10.0.0.1"),
        (["--output-directory", "out"], "output_directory", "out"),
        (["--input-directory", "in"], "input_directory", "in"),
        (["--temp-directory", "tmp"], "temp_directory", "tmp"),
        (["--user-directory", "usr"], "user_directory", "usr"),
        (["--extra-model-paths-config", "a.yaml", "b.yaml"], "extra_model_paths_config", ["a.yaml", "b.yaml"]),
        (["--cache-lru", "32"], "cache_lru", 32),
        ([], "cache_ram", 0.0),
        (["--cache-ram"], "cache_ram", 4.0),
        (["--cache-ram", "8.5"], "cache_ram", 8.5),
        (["--cache-none"], "cache_none", True),
        (["--cache-classic"], "cache_classic", True),
        (["--max-queue-size", "10"], "max_queue_size", 10),
        (["--disable-all-custom-nodes"], "disable_all_custom_nodes", True),
        (["--whitelist-custom-nodes", "a,b", "--whitelist-custom-nodes", "c"], "whitelist_custom_nodes", ["a", "b", "c"]),
        (["--blacklist-custom-nodes", "x*", "y"], "blacklist_custom_nodes", ["x*", "y"]),
        (["--workflows", "a.json", "-"], "workflows", ["a.json", "-"]),
        (["--panic-when", "torch.cuda.OutOfMemoryError,builtins.MemoryError"], "panic_when", ["torch.cuda.OutOfMemoryError", "builtins.MemoryError"]),
        (["--logging-level", "warning"], "logging_level", "WARNING"),
        (["--verbose"], "logging_level", "DEBUG"),
        (["-v", "ERROR"], "logging_level", "ERROR"),
        (["--disable-metadata"], "disable_metadata", True),
        (["--preview-method", "TAESD"], "preview_method", LatentPreviewMethod.TAESD),
    ],
)
def test_options(argv: list[str], key: str, expected: Any) -> None:
    assert parse(argv)[key] == expected


@pytest.mark.parametrize(
    ("env", "key", "expected"),
    [
        ({"COMFYUI_PORT": "9001"}, "port", 9001),
        ({"COMFYUI_CWD": "/e"}, "cwd", "/e"),
        ({"COMFYUI_CACHE_LRU": "5"}, "cache_lru", 5),
        ({"COMFYUI_DISABLE_ALL_CUSTOM_NODES": "true"}, "disable_all_custom_nodes", True),
        ({"COMFYUI_DISABLE_ALL_CUSTOM_NODES": "false"}, "disable_all_custom_nodes", False),
        ({"COMFYUI_BLACKLIST_CUSTOM_NODES": "[a, b*]"}, "blacklist_custom_nodes", ["a", "b*"]),
        ({"COMFYUI_MAX_QUEUE_SIZE": "3"}, "max_queue_size", 3),
        ({"COMFYUI_LOGGING_LEVEL": "debug"}, "logging_level", "DEBUG"),
    ],
)
def test_environment_variables(env: dict[str, str], key: str, expected: Any) -> None:
    assert parse([], env)[key] == expected


@pytest.mark.parametrize(
    ("argv", "env", "file_port", "expected"),
    [
        ([], {}, None, 8188),
        ([], {}, 7000, 7000),
        ([], {"COMFYUI_PORT": "7001"}, 7000, 7001),
        (["--port", "7002"], {"COMFYUI_PORT": "7001"}, 7000, 7002),
    ],
)
def test_precedence_cli_env_config_file(tmp_path: Path, argv: list[str], env: dict[str, str], file_port: int | None, expected: int) -> None:
    if file_port is not None:
        config_file = tmp_path / "config.yaml"
        config_file.write_text(f"port: {file_port}\n")
        argv = ["-c", str(config_file), *argv]
    configuration = parse(argv, env)
    assert configuration.port == expected
    assert configuration.config_files == ([str(tmp_path / "config.yaml")] if file_port is not None else [])


def test_default_config_file_in_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text("max-queue-size: 12\n")
    configuration = parse_args([], env={}, legacy_entry_points=False)
    assert configuration.max_queue_size == 12
    assert configuration.config_files == [str(tmp_path / "config.yaml")]


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--cache-lru", "2", "--cache-none"], id="cache-options-exclusive"),
        pytest.param(["--port", "abc"], id="bad-int"),
        pytest.param(["--no-such-option"], id="unknown-option"),
        pytest.param(["--preview-method", "nope"], id="bad-preview-method"),
    ],
)
def test_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse(argv)
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_unknown_options_ignored_when_not_strict() -> None:
    configuration = parse_args(["--no-such-option", "--port", "1"], env={}, default_config_files=(), strict=False)
    assert configuration.port == 1


def test_default_configuration_matches_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMFYUI_PORT", "1234")
    configuration = default_configuration()
    assert isinstance(configuration, Configuration)
    assert dict(configuration) == dict(DEFAULTS)
    assert dict(Configuration()) == dict(DEFAULTS)


def test_parser_help_lists_options() -> None:
    text = create_parser().format_help()
    for option in ("--cwd", "--cache-ram", "--workflows", "--panic-when", "--extra-model-paths-config"):
        assert option in text


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [("port", 8188), ("cwd", None), ("not_an_option", None), ("plugin_specific", None)],
)
def test_configuration_attribute_reads(attribute: str, expected: Any) -> None:
    assert getattr(Configuration(), attribute) == expected


def test_configuration_attribute_writes_and_kwargs() -> None:
    configuration = Configuration(port=1, extra="x")
    configuration.cwd = "/w"
    assert configuration["cwd"] == "/w" and configuration.port == 1 and configuration.extra == "x"
    del configuration.extra
    assert "extra" not in configuration
    with pytest.raises(AttributeError):
        del configuration.extra


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(lambda c: setattr(c, "port", 1), [("port", 1)], id="setattr"),
        pytest.param(lambda c: c.__setitem__("cwd", "/x"), [("cwd", "/x")], id="setitem"),
        pytest.param(lambda c: c.update({"port": 2, "cache_lru": 0}, cwd="/y"), [("port", 2), ("cwd", "/y")], id="update-only-changes"),
        pytest.param(lambda c: setattr(c, "port", 8188), [], id="same-value"),
        pytest.param(lambda c: setattr(c, "verbose", True), [("logging_level", "DEBUG")], id="verbose-alias"),
        pytest.param(lambda c: setattr(c, "new_key", None), [("new_key", None)], id="new-key"),
    ],
)
def test_configuration_observers(change: Any, expected: list[tuple[str, Any]]) -> None:
    configuration = Configuration()
    seen: list[tuple[str, Any]] = []
    configuration.register_observer(lambda key, value: seen.append((key, value)))
    change(configuration)
    assert seen == expected


def test_unregister_observer() -> None:
    configuration = Configuration()
    seen: list[str] = []

    def observer(key: str, value: Any) -> None:
        seen.append(key)

    configuration.register_observer(observer)
    configuration.unregister_observer(observer)
    configuration.port = 5
    assert seen == []


@pytest.mark.parametrize(
    "copier",
    [
        pytest.param(lambda c: pickle.loads(pickle.dumps(c)), id="pickle"),
        pytest.param(copy.copy, id="copy"),
        pytest.param(copy.deepcopy, id="deepcopy"),
        pytest.param(lambda c: c.copy(), id="method"),
    ],
)
def test_configuration_copies_drop_observers(copier: Any) -> None:
    configuration = Configuration(cwd="/w")
    seen: list[str] = []
    configuration.register_observer(lambda key, value: seen.append(key))
    copied = copier(configuration)
    assert type(copied) is Configuration and copied == configuration
    copied.port = 1
    assert seen == [] and configuration.port == 8188


def test_defaults_are_not_shared_between_instances() -> None:
    first, second = Configuration(), Configuration()
    first.panic_when.append("x")
    assert second.panic_when == [] and DEFAULTS["panic_when"] == []


def test_args_follows_the_current_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    from comfy import cli_args
    from comfy.cli_args import args, current_configuration, set_current_configuration, use_configuration
    from comfy.cli_args_types import Configuration

    monkeypatch.setattr(cli_args, "_process_configuration", None)
    assert args.disable_metadata is False and args["cache_lru"] == 0  # the defaults
    process = Configuration(disable_metadata=True)
    set_current_configuration(process)
    assert current_configuration() is process and args.disable_metadata is True
    with use_configuration(Configuration(preview_size=64)):
        assert args.preview_size == 64 and args.get("disable_metadata") is False
        assert "preview_size" in args
    assert args.preview_size == 512 and args.disable_metadata is True
