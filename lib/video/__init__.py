"""Video I/O: decode sampled frames (decord), sampling indices, checkpoint windows, write MP4 / GIF (PyAV, Pillow)."""
from lib.video.clip import Clip, VideoInfo
from lib.video.decode import load_clip, output_size, probe_video
from lib.video.errors import VideoError
from lib.video.sampling import cap_indices, fps_indices, segment_indices, uniform_indices
from lib.video.windows import load_frames, source_stride, window_frames, window_indices, window_starts
from lib.video.write import Mp4Writer, write_gif, write_mp4

__all__ = [
    "Clip", "VideoInfo", "VideoError", "load_clip", "probe_video", "output_size",
    "write_mp4", "write_gif", "Mp4Writer", "uniform_indices", "fps_indices", "segment_indices", "cap_indices",
    "load_frames", "source_stride", "window_frames", "window_indices", "window_starts",
]
