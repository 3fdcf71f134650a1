"""The rule-pack cache (``rules_cache``): a pack loads from one pickle when its files are unchanged, and from
the YAML again as soon as any rule file changes."""

from __future__ import annotations

import shutil

import pytest

from notecheck import rules, rules_cache
from notecheck.errors import RuleFileError
from notecheck.rules import _load_rules, default_rules_dir, load_rules


@pytest.fixture()
def pack_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NOTECHECK_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "pack"
    shutil.copytree(default_rules_dir(), root)
    _load_rules.cache_clear()
    yield root
    _load_rules.cache_clear()


def _no_yaml(monkeypatch):
    def refuse(path, model):
        raise AssertionError(f"read {path} from YAML")

    monkeypatch.setattr(rules, "load_yaml_model", refuse)


def test_rules_cache_an_unchanged_pack_loads_from_the_cache(pack_dir, monkeypatch, tmp_path):
    first = load_rules(pack_dir)
    assert len(list((tmp_path / "cache").glob("rules-*.pickle"))) == 1
    _load_rules.cache_clear()
    _no_yaml(monkeypatch)
    again = load_rules(pack_dir)
    assert again is not first and again.version == first.version and again.root == first.root
    assert again.codes == first.codes and again.elements == first.elements and again.context == first.context


def test_rules_cache_an_edited_rule_file_is_read_again(pack_dir):
    load_rules(pack_dir)
    spelling = pack_dir / "spelling.yml"
    text = spelling.read_text(encoding="utf-8")
    spelling.write_text(text.replace("min_length:", "min_length: 11 #", 1), encoding="utf-8")
    _load_rules.cache_clear()
    edited = load_rules(pack_dir)
    assert edited.spelling.min_length == 11
    # and a broken file is an error, never the pack cached before it broke
    spelling.write_text(text + "\nnot_a_field: 1\n", encoding="utf-8")
    _load_rules.cache_clear()
    with pytest.raises(RuleFileError, match="spelling.yml"):
        load_rules(pack_dir)


def test_rules_cache_a_broken_cache_file_or_none_at_all_loads_the_yaml(pack_dir, monkeypatch, tmp_path):
    want = load_rules(pack_dir).version
    for cached in (tmp_path / "cache").glob("rules-*.pickle"):
        cached.write_bytes(b"not a pickle")
    _load_rules.cache_clear()
    assert load_rules(pack_dir).version == want
    monkeypatch.setenv("NOTECHECK_CACHE_DIR", "off")
    assert rules_cache.cache_dir() is None
    _load_rules.cache_clear()
    assert load_rules(pack_dir).version == want
