from hypothesis import given
from hypothesis import strategies as st

from wizard.core.txt import join_strings, split_value, zone_file_value


def test_strings_are_joined_without_separator() -> None:
    assert join_strings((b"v=spf1 include:a", b".example.com ~all")) == "v=spf1 include:a.example.com ~all"


def test_long_value_is_split_at_255_octets() -> None:
    value = "v=DKIM1; k=rsa; p=" + "A" * 392
    pieces = split_value(value)
    assert [len(p) for p in pieces] == [255, 155]
    assert "".join(pieces) == value


def test_zone_file_form_quotes_and_escapes() -> None:
    assert zone_file_value('a"b\\c') == '"a\\"b\\\\c"'
    assert zone_file_value("x" * 300).count('"') == 4


@given(st.text(max_size=2000))
def test_split_never_breaks_a_character_and_keeps_the_value(value: str) -> None:
    pieces = split_value(value)
    assert "".join(pieces) == value
    assert all(len(p.encode("utf-8")) <= 255 for p in pieces)
