"""Pipeline config: precedence, secrets, identity, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from realign.config import load_config
from realign.errors import ConfigError


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    toml = tmp_path / "p.toml"
    toml.write_text('name = "p"\n[model]\nmodel = "from-file"\nconcurrency = 8\n[sampling]\ntemperature = 0.5\n')
    assert load_config(None, env={}).model.concurrency == 64  # default
    cfg = load_config(str(toml), env={})
    assert (cfg.model.model, cfg.model.concurrency, cfg.sampling.temperature) == ("from-file", 8, 0.5)
    cfg = load_config(str(toml), env={"REALIGN_MODEL": "from-env", "OPENAI_BASE_URL": "http://h:1/v1"})
    assert cfg.model.model == "from-env" and cfg.model.base_url == "http://h:1/v1"
    cfg = load_config(str(toml), {"model": {"model": "from-flag", "concurrency": None}}, env={"REALIGN_MODEL": "from-env"})
    assert cfg.model.model == "from-flag" and cfg.model.concurrency == 8  # a flag not given changes nothing


def test_named_pipelines_load() -> None:
    assert load_config("gsm8k", env={}).tasks.force_task == "math_puzzles"
    assert load_config("alpaca", env={}).input.format == "alpaca"


def test_api_key_only_from_environment_and_never_dumped(tmp_path: Path) -> None:
    cfg = load_config(None, env={"OPENAI_API_KEY": "sk-secret"})
    assert cfg.model.api_key is not None and cfg.model.api_key.get_secret_value() == "sk-secret"
    assert "sk-secret" not in repr(cfg.public_dump()) and "sk-secret" not in repr(cfg.identity())
    toml = tmp_path / "k.toml"
    toml.write_text('[model]\napi_key = "sk-in-file"\n')
    with pytest.raises(ConfigError, match="api_key"):
        load_config(str(toml), env={})


def test_identity_ignores_speed_settings_but_not_output_settings() -> None:
    base = load_config(None, env={}).identity()
    assert load_config(None, {"model": {"concurrency": 3}}, env={}).identity() == base
    # a budget, not an ask: raising it to retry cut-off rows resumes the run (answers that ended
    # on their own are the same under any limit)
    assert load_config(None, {"sampling": {"max_tokens": 4096}}, env={}).identity() == base
    assert load_config(None, {"sampling": {"temperature": 0.9}}, env={}).identity() != base


def test_errors_name_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nconcurency = 4\n")
    with pytest.raises(ConfigError, match=r"bad\.toml.*model\.concurency"):
        load_config(str(bad), env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[model\n")
    with pytest.raises(ConfigError, match=r"broken\.toml: invalid TOML"):
        load_config(str(broken), env={})
    with pytest.raises(ConfigError, match="not found"):
        load_config("no-such-pipeline", env={})
    with pytest.raises(ConfigError, match="index_dir"):
        load_config(None, {"retrieval": {"kind": "local"}}, env={})


def test_field_errors_give_the_line_that_sets_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('# my pipeline\n[model]\nmodel = "m"\n\n[sampling]\ntemperature = 0.2\nmax_tokens = "lots"\n'
                   '\n[modes]\ndefault = "rewrite"\n')
    with pytest.raises(ConfigError, match=r"bad\.toml.*sampling\.max_tokens \(line 7\): Input should be a valid integer"):
        load_config(str(bad), env={})
    dotted = tmp_path / "dotted.toml"
    dotted.write_text('sampling.max_tokens = -3\n')
    with pytest.raises(ConfigError, match=r"sampling\.max_tokens \(line 1\)"):
        load_config(str(dotted), env={})
    # a bad value that came from a flag is not pinned on the file's line
    ok = tmp_path / "ok.toml"
    ok.write_text("[sampling]\nmax_tokens = 100\n")
    with pytest.raises(ConfigError) as err:
        load_config(str(ok), {"sampling": {"max_tokens": "x"}}, env={})
    assert "sampling.max_tokens: " in str(err.value) and "(line" not in str(err.value)


def test_an_endpoint_that_is_not_http_is_refused_with_the_likely_fix() -> None:
    with pytest.raises(ConfigError, match=r"did you mean http://localhost:8000/v1\?"):
        load_config(None, {"model": {"base_url": ["localhost:8000/v1"]}}, env={})
    with pytest.raises(ConfigError, match=r"ftp:// scheme.*set by OPENAI_BASE_URL"):
        load_config(None, env={"OPENAI_BASE_URL": "ftp://h/v1"})
    with pytest.raises(ConfigError, match=r"'h:1' must start with http"):  # every endpoint, not only the first
        load_config(None, {"model": {"base_url": ["http://a:1/v1", "h:1"]}}, env={})
    assert load_config(None, {"model": {"base_url": ["HTTPS://a/v1"]}}, env={}).model.base_url == "HTTPS://a/v1"


@pytest.mark.parametrize("body, expected", [
    ('[modes]\ntasks = {value_judgment = "critique_revise"}\n',
     "(line 3): field 'modes.tasks.value_judgment': unknown task 'value_judgment'; did you mean 'value_judgement'?"),
    ('[verify]\njudge = {"open_qa " = true}\n', "field 'verify.judge.open_qa ': unknown task 'open_qa '; did you mean 'open_qa'?"),
    ("[tasks]\nrewrite = {roleplayy = true}\n", "did you mean 'roleplay'?"),
    ('[verify]\nadd_checks = {"*" = ["math_answr"]}\n', "unknown check 'math_answr'; did you mean 'math_answer'?"),
    ('[verify]\nremove_checks = {open_qa = ["nonsense_check_name"]}\n', "unknown check 'nonsense_check_name'; valid names:"),
])
def test_task_and_check_names_in_a_pipeline_file_must_exist(tmp_path: Path, body: str, expected: str) -> None:
    # a misspelt task key would switch nothing on, silently (trial12 D4)
    from realign.pipeline import check_config_names
    from realign.tasks import load_tasks

    path = tmp_path / "p.toml"
    path.write_text('name = "x"\n' + body)
    cfg = load_config(str(path))
    with pytest.raises(ConfigError) as e:
        check_config_names(cfg, load_tasks())
    assert str(e.value).startswith(str(path)) and expected in str(e.value)


def test_the_wildcard_and_real_names_pass_the_name_check(tmp_path: Path) -> None:
    from realign.pipeline import check_config_names
    from realign.tasks import load_tasks

    path = tmp_path / "p.toml"
    path.write_text('[verify]\njudge = {"*" = true, open_qa = false}\nadd_checks = {math_puzzles = ["text_kept"]}\n')
    check_config_names(load_config(str(path)), load_tasks())


def test_a_length_window_no_rewrite_can_pass_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[verify]\nmin_ratio = 5\nmax_ratio = 0.1\n")
    with pytest.raises(ConfigError, match=r"verify \(line 1\): min_ratio 5 is above max_ratio 0.1"):
        load_config(str(path))
