"""A job's time budget, read from Lambda's context: work is claimed only while a safe margin is left, so a
run ends by itself instead of being killed mid-send by the function's timeout."""
from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Budget:
    """`seconds` to spend from now, of which `margin` is never used for new work."""

    seconds: float
    margin: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def from_context(cls, context, margin: float, default_seconds: float) -> "Budget":
        """Lambda's remaining time when there is a context (scheduled and queued events); else the default
        (the CLI on a developer's machine)."""
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        return cls(remaining() / 1000 if remaining else default_seconds, margin)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def allows(self, needed: float = 0.0) -> bool:
        """True while `needed` more seconds still leave the margin untouched."""
        return self.remaining() - self.margin > needed
