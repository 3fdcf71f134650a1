"""How the audit writes lists, sides and values in its reasons."""

from __future__ import annotations


def value_words(values) -> list[str]:
    return [v.replace("_", " ") for v in values]


def or_join(codes) -> str:
    codes = list(codes)
    return codes[0] if len(codes) == 1 else ", ".join(codes[:-1]) + " or " + codes[-1]


def and_join(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def side_words(sides) -> str:
    return "both sides" if len(sides) == 2 else f"the {next(iter(sides))} side"


def plural(unit: str) -> str:
    """The plural of a counting unit: levels, joints, extremities."""
    return unit[:-1] + "ies" if unit.endswith("y") else unit + "s"
