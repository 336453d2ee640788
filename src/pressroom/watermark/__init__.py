"""Per-copy forensic watermark: keyed patchwork marks, A/B variants, blind detection.

Qt-free and below the application layer: numpy/scipy for the signal work, ffmpeg (a
subprocess) for decoding and encoding. See docs/FORMAT.md "Forensic watermark".
"""
