"""Bad input: every invalid configuration of the corpus is refused, the same way, everywhere.

For each case of tests/hardening/bad_input_corpus.py:
- the settings loader raises SettingsError with a problem line that starts with the config key and
  says how to fix it;
- the Pulumi program (under mocks) raises that same error before it registers a single resource;
- the offline plan of a Pulumi.<stack>.yaml holding the case exits 2 and prints that same message.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest
import yaml

from domain.settings import SettingsError, load_settings
from domain.settings.loader import CONFIG_KEYS, PROJECT
from stacks import plan
from stacks.offline import evaluate
from tests.hardening.bad_input_corpus import CORPUS

REGION_KEY = "aws:region"
# Groups with validations of their own that need several cases each.
MIN_CASES = {"gpu": 4, "teams": 4, "services": 4, "observability": 4}


def case_id(case: tuple[str, dict[str, Any], str, str]) -> str:
    stack, _, key, words = case
    return f"{stack}-{key.removeprefix(PROJECT + ':')}-{words[:24]}"


def group(key: str) -> str:
    """mlplatform:teams[a].gpuQuota -> teams; mlplatform:network.vpcCidr -> network."""
    match = re.match(rf"^{PROJECT}:([A-Za-z]+)", key)
    assert match, f"{key} is not a {PROJECT}: key"
    return match.group(1)


def settings_config(config: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """(the mlplatform: keys without their prefix, the region) of a case."""
    return {k: v for k, v in config.items() if ":" not in k}, config.get(REGION_KEY)


def pulumi_config(config: dict[str, Any]) -> dict[str, str]:
    """The case as the engine hands it to the program: `mlplatform:` keys with JSON values; other
    namespaces' plain strings (aws:region) as they are, like Pulumi passes them."""
    out = {}
    for key, value in config.items():
        if ":" in key:
            out[key] = value if isinstance(value, str) else json.dumps(value)
        else:
            out[f"{PROJECT}:{key}"] = json.dumps(value)
    return out


def expected_error(stack: str, config: dict[str, Any]) -> SettingsError:
    settings, region = settings_config(config)
    with pytest.raises(SettingsError) as err:
        load_settings(stack, settings, region)
    return err.value


@pytest.mark.parametrize(("stack", "config", "key", "words"), CORPUS, ids=[case_id(c) for c in CORPUS])
def test_settings_name_the_key_and_the_fix(stack: str, config: dict[str, Any], key: str, words: str) -> None:
    err = expected_error(stack, config)
    line = next((p for p in err.problems if p.startswith(key + ":")), None)
    assert line is not None, f"no problem starts with {key}:\n{err}"
    assert words in line, line
    assert "Fix:" in line, f"no fix in: {line}"


@pytest.mark.parametrize(("stack", "config", "key", "words"), CORPUS, ids=[case_id(c) for c in CORPUS])
def test_program_stops_before_any_resource(stack: str, config: dict[str, Any], key: str, words: str) -> None:
    expected = expected_error(stack, config)
    with pytest.raises(SettingsError) as err:
        evaluate(stack, pulumi_config(config))
    assert err.value.problems == expected.problems
    assert err.value.planned == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(("stack", "config", "key", "words"), CORPUS, ids=[case_id(c) for c in CORPUS])
def test_offline_plan_exits_2_with_the_message(stack: str, config: dict[str, Any], key: str, words: str,
                                               tmp_path, capsys) -> None:
    expected = expected_error(stack, config)
    stack_file = tmp_path / f"Pulumi.{stack}.yaml"
    document = {k if ":" in k else f"{PROJECT}:{k}": v for k, v in config.items()}
    stack_file.write_text(yaml.safe_dump({"config": document}, sort_keys=False))
    code = plan.main(["--stack", stack, "--config", str(stack_file)])
    out, err = capsys.readouterr()
    assert code == 2
    assert f"error: {expected}\n" in err
    assert out == ""


def test_corpus_covers_every_settings_group() -> None:
    groups = Counter(group(key) for _, _, key, _ in CORPUS)
    every_group = {*CONFIG_KEYS, "region"}
    assert every_group - set(groups) == set(), f"groups without a bad-input case: {every_group - set(groups)}"
    assert {g: n for g, n in MIN_CASES.items() if groups[g] < n} == {}, groups
    assert len(CORPUS) >= 30


def test_corpus_cases_are_distinct() -> None:
    keys = [json.dumps([stack, config], sort_keys=True) for stack, config, _, _ in CORPUS]
    assert len(keys) == len(set(keys))


def test_a_valid_config_registers_resources() -> None:
    """The counterpart: what makes `planned == []` meaningful is that a valid config does register."""
    ev = evaluate("dev", pulumi_config({}))
    assert len(ev.resources) > 50


def test_an_error_after_a_registration_carries_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook sees resources registered before a failure (here, a program that fails too late)."""
    import pulumi_aws as aws

    import stacks.program

    def too_late(settings: Any) -> dict[str, Any]:
        aws.s3.Bucket("registered-first")
        raise SettingsError([f"{PROJECT}:x: checked too late. Fix: validate in the settings."])

    monkeypatch.setattr(stacks.program, "build_outputs", too_late)
    with pytest.raises(SettingsError) as err:
        evaluate("dev", pulumi_config({}))
    assert [r.name for r in err.value.planned] == ["registered-first"]  # type: ignore[attr-defined]
