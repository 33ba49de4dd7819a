"""Video I/O: decode sampled frames (decord), sampling indices, write H.264 MP4 / GIF (PyAV, Pillow)."""
from lib.video.clip import Clip, VideoInfo
from lib.video.errors import VideoError
from lib.video.write import write_gif, write_mp4

__all__ = ["Clip", "VideoInfo", "VideoError", "write_mp4", "write_gif"]
