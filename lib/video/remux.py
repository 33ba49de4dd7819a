"""Rewrite a video's container without re-encoding, for files whose header decord cannot index."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av


def remux_video_stream(src: str | Path, dst: str | Path) -> Path:
    """Copy the first video stream of `src` packet by packet into a Matroska file at `dst`.

    Browser recordings (MediaRecorder WebM, e.g. Gradio's webcam) are written as a stream and carry
    no duration or frame count; decord then refuses them ("broken metadata"). Writing the same
    packets to a seekable file gives the container a duration and an index. No frame is decoded.
    Packets without timestamps (a raw H.264 stream) are numbered in order at the stream's guessed rate.
    """
    with av.open(str(src)) as source, av.open(str(dst), mode="w", format="matroska") as target:
        in_stream = source.streams.video[0]
        out_stream = target.add_stream_from_template(in_stream)
        rate = in_stream.guessed_rate or in_stream.average_rate or Fraction(25)
        tick = Fraction(1) / Fraction(rate)
        for number, packet in enumerate(source.demux(in_stream)):
            if packet.size == 0:  # the demuxer's empty flush packet
                continue
            if packet.dts is None and packet.pts is None:
                packet.time_base, packet.pts, packet.dts = tick, number, number
            elif packet.dts is None:
                continue  # a packet that cannot be placed among timed ones
            packet.stream = out_stream
            target.mux(packet)
    return Path(dst)
