"""Every code file validates, carries its dates and provenance, and the family is complete."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from notecheck.rules import CodeFile, default_rules_dir, load_rules, load_yaml_model

CODE_DIR = default_rules_dir() / "codes"
FILES = sorted(CODE_DIR.glob("*.yml"))
FAMILY = ["64600", "64605", "64610", "64620", "64624", "64625", "64630", "64632", "64633", "64634", "64635",
          "64636", "64640", "64642", "64643", "64644", "64645", "64646", "64647", "64680", "64681"]
GUIDANCE = ["76942", "77002", "77003", "77012", "95873", "95874"]
CRYO = ["0440T", "0441T", "0442T"]
# phrases of the published descriptors that our titles must not copy
DESCRIPTOR_PHRASES = ["destruction by neurolytic agent", "5 or more muscle(s)", "1-4 muscle(s)", "with or without"]


@pytest.fixture(scope="module")
def pack():
    return load_rules()


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_codes_file_validates(path):
    rule = load_yaml_model(path, CodeFile)
    assert path.stem.split("-")[0] == rule.code
    assert rule.source.strip() and rule.title.strip()
    assert rule.effective_to is None or rule.effective_to > rule.effective_from
    assert not any(p in rule.title.lower() for p in DESCRIPTOR_PHRASES), rule.title


@pytest.mark.parametrize("code", FAMILY + GUIDANCE + CRYO)
def test_codes_file_exists_for(pack, code):
    assert code in pack.codes
    expected = "guidance" if code in GUIDANCE else "chemodenervation" if code in ("64642", "64643", "64644",
                                                                               "64645", "64646", "64647") else "destruction"
    assert pack.code_rule(code).family == expected


@pytest.mark.parametrize("addon,primaries", [("64634", {"64633"}), ("64636", {"64635"}),
                                             ("64643", {"64642", "64644"}), ("64645", {"64644"})])
def test_codes_addons_name_their_primaries(pack, addon, primaries):
    rule = pack.code_rule(addon)
    assert rule.addon and set(rule.primary_codes) == primaries


def test_codes_primaries_and_included_guidance_exist(pack):
    for code, versions in pack.codes.items():
        for rule in versions:
            if rule.family != "guidance":
                assert set(rule.primary_codes) <= set(pack.codes), code
            for g in rule.includes_guidance:
                assert pack.code_rule(g).family == "guidance", (code, g)


def test_codes_64640_has_two_dated_versions(pack):
    old, new = pack.codes["64640"]
    assert old.effective_to == dt.date(2025, 12, 31) and new.effective_from == dt.date(2026, 1, 1)
    assert not old.includes_guidance and "77002" in new.includes_guidance
    assert pack.code_rule("64640", dt.date(2025, 12, 31)) is old
    assert pack.code_rule("64640", dt.date(2026, 1, 1)) is new


@pytest.mark.parametrize("code", ["64610", "64624", "64625", "64633", "64634", "64635", "64636", "64680", "64681"])
def test_codes_with_imaging_included_list_the_guidance_codes(pack, code):
    assert {"77002", "77003", "77012"} <= set(pack.code_rule(code).includes_guidance)


def test_codes_facet_codes_split_the_spine(pack):
    assert set(pack.code_rule("64633").spine_regions) == {"cervical", "thoracic"}
    assert set(pack.code_rule("64635").spine_regions) == {"lumbar", "sacral"}


def test_codes_muscle_ranges_do_not_overlap(pack):
    ranges = {}
    for code in ("64642", "64644", "64646", "64647"):
        m = pack.code_rule(code).muscles
        ranges[code] = (m.region, m.min, m.max)
    assert ranges == {"64642": ("extremity", 1, 4), "64644": ("extremity", 5, None),
                      "64646": ("trunk", 1, 5), "64647": ("trunk", 6, None)}


def test_codes_new_schema_fields_are_validated(tmp_path):
    path = tmp_path / "bad.yml"
    text = (CODE_DIR / "64635.yml").read_text(encoding="utf-8")
    path.write_text(re.sub(r"spine_regions: .*", "spine_regions: [lumbar, pelvic]", text), encoding="utf-8")
    from notecheck.errors import RuleFileError

    with pytest.raises(RuleFileError, match="spine_regions"):
        load_yaml_model(path, CodeFile)


def test_codes_every_extremity_muscle_has_a_limb(pack):
    missing = [t.value for t in pack.elements["muscles"].terms if t.region == "extremity" and t.limb is None]
    assert missing == []
