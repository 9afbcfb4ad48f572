"""Durations in plain words, for messages such as "the cached answer expires in about 4 minutes"."""

from __future__ import annotations


def about(seconds: float) -> str:
    """Round a duration to what a person wants to read: "about 40 seconds", "about 5 minutes", "about 2 hours"."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        n = round(seconds)
        return f"about {n} second{'s' if n != 1 else ''}"
    if seconds < 90 * 60:
        n = round(seconds / 60)
        return f"about {n} minutes"
    if seconds < 36 * 3600:
        n = round(seconds / 3600)
        return f"about {n} hour{'s' if n != 1 else ''}"
    n = round(seconds / 86400)
    return f"about {n} days"
