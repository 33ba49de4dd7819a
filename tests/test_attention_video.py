"""run_attention's video argument: a path or a decoded Clip, and ground truth attached by content only."""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import shutil  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from lib.examples import EXAMPLES_DIR  # noqa: E402
from lib.methods.attention import SEEDS, run_attention  # noqa: E402
from lib.methods.attention.task import MAX_DECODED, STRIDE, ground_truth_for  # noqa: E402
from lib.video import load_clip, write_mp4  # noqa: E402

torch.set_num_threads(2)


def test_ground_truth_comes_from_the_bytes_not_the_name(tmp_path):
    example = EXAMPLES_DIR / "toy_long.mp4"
    truth = ground_truth_for(example)
    assert len(truth) >= 10 and all(s.start < s.end for s in truth)
    renamed = tmp_path / "my upload.mp4"  # the example's bytes under another name: still the example
    shutil.copyfile(example, renamed)
    assert ground_truth_for(renamed) == truth
    impostor = tmp_path / "toy_long.mp4"  # an upload merely named like the example: no ground truth
    write_mp4(np.zeros((16, 32, 32, 3), np.uint8), impostor, fps=25)
    assert ground_truth_for(impostor) == ()
    assert ground_truth_for(None) == ()


def test_an_upload_named_like_an_example_is_not_scored(tmp_path):
    impostor = write_mp4(np.random.default_rng(0).integers(0, 255, (40, 48, 48, 3), dtype=np.uint8),
                         tmp_path / "toy_long.mp4", fps=25)
    result = run_attention(str(impostor), compare=False, max_windows=1)
    assert result.ground_truth == () and result.detections


def test_a_decoded_clip_gives_the_same_result_as_its_path(tmp_path):
    frames = np.random.default_rng(1).integers(0, 255, (48, 40, 56, 3), dtype=np.uint8)
    path = write_mp4(frames, tmp_path / "clip.mp4", fps=25)
    from_path = run_attention(str(path), compare=False, layers=[0, 5], max_windows=1)
    clip = load_clip(path, fps=25 / STRIDE, short_side=128, max_frames=MAX_DECODED)  # how run_attention reads it
    from_clip = run_attention(clip, compare=False, layers=[0, 5], max_windows=1)
    np.testing.assert_array_equal(from_path.frames, from_clip.frames)
    np.testing.assert_array_equal(from_path.source_frames, from_clip.source_frames)
    for a, b in zip(from_path.main.layers, from_clip.main.layers):
        np.testing.assert_array_equal(a.maps, b.maps)
    assert from_path.detections == from_clip.detections and from_path.notes == from_clip.notes


def test_seed_split_keeps_the_trained_ranges():
    assert SEEDS.train(3) == [0, 1, 2] and SEEDS.held_out(2) == [100_000, 100_001]
