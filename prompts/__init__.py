"""Prompt templates kept as text files, loaded by name.

A template is a list of chat messages: each starts with a line `=== system ===`,
`=== user ===` or `=== assistant ===`; `{placeholders}` are filled by `render`.
"""

from __future__ import annotations

import re
from importlib.resources import files

_HEADER = re.compile(r"^=== (system|user|assistant) ===\s*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load_prompt(name: str) -> str:
    """The raw text of `prompts/<name>.txt`."""
    return (files(__package__) / f"{name}.txt").read_text(encoding="utf-8")


def render(name: str, **values: str) -> list[tuple[str, str]]:
    """The template's messages as (role, content) pairs, placeholders filled."""
    text = load_prompt(name)
    parts = _HEADER.split(text)
    messages = []
    for role, body in zip(parts[1::2], parts[2::2]):
        # One pass, so a value that itself holds "{question}" is never expanded.
        content = _PLACEHOLDER.sub(
            lambda m: values.get(m.group(1), m.group(0)), body.strip("\n")
        )
        messages.append((role, content))
    return messages
