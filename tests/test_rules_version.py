"""`rules_version` names the pack and a hash of its files, so an edited pack never passes for the shipped one."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from notecheck.cli import app
from notecheck.rules import default_rules_dir, load_rules

runner = CliRunner()
NOTE = "Left obturator nerve phenol neurolysis under ultrasound. 5 mL of 6% phenol.\n"


def test_rules_version_same_content_same_version(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), copy)
    assert load_rules(copy).version == load_rules().version  # the folder's location does not count


def test_rules_version_edited_pack_reports_another_version(tmp_path):
    shipped = load_rules()
    copy = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), copy)
    code_file = copy / "codes" / "64640.yml"
    code_file.write_text(code_file.read_text(encoding="utf-8") + "\n# an auditor's edit\n", encoding="utf-8")
    edited = load_rules(copy)
    assert edited.pack.version == shipped.pack.version  # pack.yml was not touched...
    assert edited.version != shipped.version  # ...yet the version differs
    assert edited.version.startswith(f"{shipped.pack.name}@{shipped.pack.version}+")


def test_rules_version_reaches_every_record(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), copy)
    (copy / "elements" / "consent.yml").write_text(
        (copy / "elements" / "consent.yml").read_text(encoding="utf-8").replace("description: ", "description: Edited. ", 1),
        encoding="utf-8")
    (tmp_path / "n.txt").write_text(NOTE, encoding="utf-8")
    result = runner.invoke(app, ["scan", "-j", "1", "-q", str(tmp_path / "n.txt"), "--code", "64640-LT", "--rules", str(copy)])
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["rules_version"] == load_rules(copy).version != load_rules().version
