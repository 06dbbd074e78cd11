"""Durations as the CLI writes them (``500ms``, ``2s``, ``30m``, ``1h``, ``00:30:00``), seconds, or timedeltas."""
from __future__ import annotations

import math
import re
from datetime import timedelta

from google.protobuf.duration_pb2 import Duration

from .errors import InvalidArgument

Span = str | int | float | timedelta

_UNITS = (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0))
_CLOCK = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$")


def seconds(value: Span, name: str) -> float:
    """``value`` in seconds; InvalidArgument naming ``name`` when it is not a duration."""
    if isinstance(value, timedelta):
        result = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        result = float(value)
    elif isinstance(value, str):
        result = _parse(value.strip(), name)
    else:
        raise InvalidArgument(f"{name}: expected a duration such as '30m', seconds or a timedelta, got {value!r}")
    if not math.isfinite(result) or result < 0:
        raise InvalidArgument(f"{name}: {value!r} is not a non-negative duration")
    return result


def _parse(text: str, name: str) -> float:
    for suffix, unit in _UNITS:
        if text.lower().endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * unit
            except ValueError:
                break
    if match := _CLOCK.match(text):
        days, hours, minutes, secs = match.groups()
        return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(secs or 0)
    raise InvalidArgument(f"{name}: '{text}' is not a duration; use e.g. 500ms, 2s, 30m, 1h or 00:30:00")


def to_proto(value: Span, name: str) -> Duration:
    total = seconds(value, name)
    whole = int(total)
    return Duration(seconds=whole, nanos=int(round((total - whole) * 1e9)))
