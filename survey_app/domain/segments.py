"""Segments: the slices a dashboard counts, and the one rule that says whether something belongs to one."""
from __future__ import annotations

from typing import Mapping

SYSTEM_SEGMENTS = ("language", "channel")  # set by the app; no imported column may take these names
MAX_SEGMENT_VALUES = 30  # distinct values counted per chosen segment; later new values count as OTHER
OTHER = "other"


def segments_of(chosen: Mapping[str, str], language: str, channel: str) -> dict[str, str]:
    """The chosen segments' values, then the system ones, which always win a name clash."""
    return {k: v for k, v in ({**chosen, "language": language, "channel": channel}).items() if v}


def in_segment(segments: Mapping[str, str], wanted: tuple[str, str] | None) -> bool:
    """Dashboard, comments and exports all filter with this: no segment asked means everything belongs."""
    return wanted is None or segments.get(wanted[0]) == wanted[1]
