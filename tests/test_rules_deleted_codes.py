"""patterns/deleted_codes.yml: codes taken out of CPT, validated when the pack loads."""

from __future__ import annotations

import shutil

import pytest

from notecheck.errors import RuleFileError
from notecheck.rules import _load_rules, default_rules_dir, load_rules


def test_rules_deleted_codes_load_with_year_and_replacements():
    pack = load_rules()
    assert pack.deleted["64614"].deleted.year == 2014
    assert pack.deleted["76005"].replaced_by == ["77003"]
    assert not set(pack.deleted) & set(pack.codes)


@pytest.mark.parametrize(
    "line, problem",
    [
        ('  - {code: "64640", deleted: 2030-01-01, replaced_by: ["64999"], source: x}\n', "either in force or deleted"),
        ('  - {code: "64614", deleted: 2014-01-01, replaced_by: [], source: x}\n', "replaced_by"),
    ],
)
def test_rules_deleted_codes_bad_entries_name_the_file(tmp_path, line, problem):
    root = tmp_path / "pack"
    shutil.copytree(default_rules_dir(), root)
    with (root / "deleted_codes.yml").open("a", encoding="utf-8") as f:
        f.write(line)
    _load_rules.cache_clear()
    try:
        with pytest.raises(RuleFileError, match=problem) as exc:
            load_rules(root)
        assert "deleted_codes.yml" in str(exc.value)
    finally:
        _load_rules.cache_clear()
