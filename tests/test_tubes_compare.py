"""The Tubes comparison attaches ground truth by the example's content (its bytes), never by its file name."""
from __future__ import annotations

import shutil

import numpy as np

from lib.examples import list_examples
from lib.methods.compare.tubes import true_action
from lib.video import write_mp4


def _example(name: str):
    return next(e for e in list_examples() if e.name == name)


def test_a_bundled_example_gets_its_own_action():
    assert true_action(str(_example("toy_left").path)) == "left"
    assert true_action(_example("toy_rotate_cw").path) == "rotate_cw"


def test_a_copy_under_another_examples_name_gets_the_truth_of_its_content(tmp_path):
    copy = tmp_path / "toy_left.mp4"
    shutil.copyfile(_example("toy_rotate_cw").path, copy)
    assert true_action(str(copy)) == "rotate_cw"  # the content is toy_rotate_cw's, whatever the name says


def test_a_copy_of_an_example_without_a_single_action_gets_none(tmp_path):
    copy = tmp_path / "toy_left.mp4"
    shutil.copyfile(_example("toy_long").path, copy)  # several actions in one clip: no single true label
    assert true_action(str(copy)) is None


def test_a_non_example_named_like_an_example_gets_none(tmp_path):
    frames = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    path = write_mp4(frames, tmp_path / "toy_left.mp4", fps=25)
    assert true_action(str(path)) is None
