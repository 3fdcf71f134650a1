"""Text-file notes (.txt .text .md .rtf) and walking folders of them."""

from __future__ import annotations

import os

import pytest

from notecheck.models import NoteInput, ReadError
from notecheck.readers import read_notes


def read(*paths, **options):
    return list(read_notes(list(paths), **options))


@pytest.mark.parametrize("name", ["note.txt", "note.text", "note.md", "NOTE.TXT", "note.log"])
def test_single_text_file_is_one_note(tmp_path, name):
    path = tmp_path / name
    path.write_text("Left L4 medial branch block.\nTolerated well.\n", encoding="utf-8")
    assert read(path) == [
        NoteInput(id=str(path), source=str(path), text="Left L4 medial branch block.\nTolerated well.\n")
    ]


def test_rtf_is_converted_to_text(tmp_path):
    path = tmp_path / "note.rtf"
    path.write_text(r"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}\f0\pard Patient has pain.\par caf\'e9\par}")
    [note] = read(path)
    assert note.text == "Patient has pain.\ncafé\n"


def test_default_code_applies_to_text_notes(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("note")
    assert read(path, default_code="64633")[0].default_codes == "64633"
    assert read(path)[0].default_codes is None


def test_folder_walk_is_recursive_sorted_and_skips_hidden_and_unknown(tmp_path):
    files = {
        "b.txt": "b",
        "a/y.md": "y",
        "a/x.text": "x",
        "a/deep/z.rtf": r"{\rtf1 z}",
        "c.txt": "c",
        ".hidden.txt": "hidden",
        ".git/d.txt": "hidden folder",
        "skip.xyz": "not a note",
        "image.png": "not a note",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    items = read(tmp_path)
    assert [item.id for item in items] == ["a/deep/z.rtf", "a/x.text", "a/y.md", "b.txt", "c.txt"]
    assert items[1].source == str(tmp_path / "a" / "x.text")
    assert all(isinstance(item, NoteInput) for item in items)


def test_folder_symlink_loop_is_reported_once_and_walk_ends(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "n.txt").write_text("note")
    os.symlink(tmp_path, tmp_path / "sub" / "back")
    items = read(tmp_path)
    assert [type(item) for item in items] == [ReadError, NoteInput]
    assert items[0].kind == "symlink_loop"
    assert items[0].id == "sub/back"
    assert items[1].id == "sub/n.txt"


def test_self_referencing_link_is_a_symlink_loop(tmp_path):
    os.symlink(tmp_path / "me.txt", tmp_path / "me.txt")
    assert [item.kind for item in read(tmp_path)] == ["symlink_loop"]
    assert [item.kind for item in read(tmp_path / "me.txt")] == ["symlink_loop"]


def test_files_reached_twice_are_yielded_once(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "n.txt").write_text("note")
    (tmp_path / "b.txt").write_text("b")
    os.symlink(tmp_path / "a", tmp_path / "z_dir")  # second way into a/
    os.symlink(tmp_path / "b.txt", tmp_path / "c.txt")  # second name for b.txt
    assert [item.id for item in read(tmp_path)] == ["a/n.txt", "b.txt"]


def test_dangling_link_in_folder_is_not_found(tmp_path):
    os.symlink(tmp_path / "gone.txt", tmp_path / "link.txt")
    os.symlink(tmp_path / "gone.xyz", tmp_path / "link.xyz")  # unknown kind: skipped
    [item] = read(tmp_path)
    assert (item.kind, item.id) == ("not_found", "link.txt")
