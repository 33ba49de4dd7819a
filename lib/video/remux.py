"""Rewrite a video's container without re-encoding, for files whose header decord cannot index."""
from __future__ import annotations

from pathlib import Path

import av


def remux_video_stream(src: str | Path, dst: str | Path) -> Path:
    """Copy the first video stream of `src` packet by packet into a Matroska file at `dst`.

    Browser recordings (MediaRecorder WebM, e.g. Gradio's webcam) are written as a stream and carry
    no duration or frame count; decord then refuses them ("broken metadata"). Writing the same
    packets to a seekable file gives the container a duration and an index. No frame is decoded.
    """
    with av.open(str(src)) as source, av.open(str(dst), mode="w", format="matroska") as target:
        in_stream = source.streams.video[0]
        out_stream = target.add_stream_from_template(in_stream)
        for packet in source.demux(in_stream):
            if packet.dts is None:  # the demuxer's empty flush packet
                continue
            packet.stream = out_stream
            target.mux(packet)
    return Path(dst)
