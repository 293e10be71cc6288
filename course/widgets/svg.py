"""Small SVG building blocks for the explorers' pictures.

Why SVG and not a matplotlib canvas: the explorers must draw the same way in
JupyterLab, in the Voila classroom page and in an exported notebook, and update within
a slider event.  An SVG string in an ``ipywidgets.HTML`` needs no widget extension of
its own (ipympl's canvas sent its first image as a broken URL under Voila), and an
update only formats numbers into text — well under a millisecond in the kernel, with
the browser doing the drawing.  Coordinates are SVG user units; every helper takes
plain floats and returns strings.
"""

from __future__ import annotations

import math
import re
from xml.sax.saxutils import escape

__all__ = ["text", "num", "Template", "LinearScale", "LogScale", "power_of_ten", "svg_open"]

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def text(value: str) -> str:
    """``value`` made safe as XML character data or attribute text (escaped, one line)."""
    one_line = value.replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return escape(_CONTROL.sub("", one_line), {'"': "&quot;"})


def num(value: float) -> str:
    """A coordinate with at most one decimal, without trailing zeros ("12", "12.5")."""
    return f"{value:.1f}".rstrip("0").rstrip(".") or "0"


def power_of_ten(exponent: int) -> str:
    """``10`` with a superscript exponent, e.g. ``power_of_ten(-3) == "10⁻³"``."""
    return "10" + str(int(exponent)).translate(_SUPERSCRIPT)


def svg_open(width: float, height: float, label: str) -> str:
    """The opening ``<svg>`` tag: scales down with its container, never above ``width``.

    A fixed height keeps the page from jumping when the content changes.
    """
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {num(width)} {num(height)}" '
            f'width="100%" height="{num(height)}" preserveAspectRatio="xMinYMin meet" role="img" '
            f'aria-label="{text(label)}" style="display:block;max-width:{num(width)}px;'
            f'font-family:sans-serif">')


class Template:
    """Static SVG text with named slots; ``render(slots)`` fills them and joins once."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._slots: list[tuple[int, str]] = []  # (index in _parts, slot name)

    def static(self, markup: str) -> None:
        self._parts.append(markup)

    def slot(self, name: str) -> None:
        self._slots.append((len(self._parts), name))
        self._parts.append("")

    def render(self, values: dict[str, str]) -> str:
        parts = self._parts.copy()
        for index, name in self._slots:
            parts[index] = values[name]
        return "".join(parts)


class LinearScale:
    """Maps data values in ``[low, high]`` to user units in ``[start, end]`` (end may be < start)."""

    def __init__(self, low: float, high: float, start: float, end: float):
        self.low, self.high, self.start, self.end = float(low), float(high), float(start), float(end)

    def __call__(self, value: float) -> float:
        return self.start + (float(value) - self.low) / (self.high - self.low) * (self.end - self.start)


class LogScale:
    """Maps positive values in ``[low, high]`` to ``[start, end]`` on a log10 axis.

    Values at or below 0 map to ``start`` (the floor of the axis).
    """

    def __init__(self, low: float, high: float, start: float, end: float):
        self.log_low, self.log_high = math.log10(low), math.log10(high)
        self.start, self.end = float(start), float(end)

    def __call__(self, value: float) -> float:
        if not value > 0:
            return self.start
        fraction = (math.log10(value) - self.log_low) / (self.log_high - self.log_low)
        return self.start + fraction * (self.end - self.start)

    def decades(self, max_labels: int = 8) -> list[int]:
        """Exponents of the powers of ten inside the axis, thinned to at most ``max_labels``."""
        first, last = math.ceil(self.log_low - 1e-9), math.floor(self.log_high + 1e-9)
        exponents = list(range(first, last + 1))
        step = max(1, math.ceil(len(exponents) / max_labels))
        return [e for e in exponents if (e - last) % step == 0]
