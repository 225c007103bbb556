"""Control characters are found by one pattern, exactly as Unicode names them."""

from __future__ import annotations

import unicodedata

from incidents.values import has_control_characters


def test_the_pattern_refuses_exactly_the_control_characters_but_newline_and_tab():
    # Category Cc lies below U+00A0; the whole first plane is checked.
    for point in range(0x10000):
        char = chr(point)
        expected = unicodedata.category(char) == "Cc" and char not in "\n\t"
        assert has_control_characters(f"a{char}b") is expected, hex(point)
