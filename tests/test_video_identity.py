"""A clip is a bundled example (and gets its ground truth) by its bytes, never by its file name."""
from __future__ import annotations

import shutil

from lib.examples import identify_example, list_examples


def test_upload_named_like_an_example_with_other_content_is_no_example(tmp_path):
    examples = {e.name: e for e in list_examples()}
    bounce, left = examples["toy_bounce"], examples["toy_left"]
    impostor = tmp_path / bounce.path.name  # "toy_bounce.mp4", with toy_left's bytes
    shutil.copyfile(left.path, impostor)
    assert identify_example(impostor).name == "toy_left"
    edited = tmp_path / "edited" / bounce.path.name  # the same name, one byte changed
    edited.parent.mkdir()
    data = bytearray(bounce.path.read_bytes())
    data[-1] ^= 0xFF
    edited.write_bytes(bytes(data))
    assert identify_example(edited) is None


def test_renamed_copy_of_an_example_is_that_example(tmp_path):
    example = list_examples()[0]
    copy = tmp_path / "my holiday.mp4"
    shutil.copyfile(example.path, copy)
    assert identify_example(copy) == example
