import pytest

from wizard.core.names import DomainError, normalize_domain, to_unicode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("example.com", "example.com"),
        ("  Example.COM.  ", "example.com"),
        ("Bücher.de", "xn--bcher-kva.de"),
        ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
        ("sub_domain.example.com", "sub_domain.example.com"),
    ],
)
def test_accepts_and_normalizes(text: str, expected: str) -> None:
    assert normalize_domain(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("exa mple.com", "space"),
        ("a..b.com", "empty label"),
        (".example.com", "empty label"),
        ("x" * 64 + ".com", "at most 63"),
        (".".join(["a" * 60] * 5), "at most 253"),
        ("https://example.com/", "web address"),
        ("example.com/path", "web address"),
        ("admin@example.com", "email address"),
        ("localhost", "only one label"),
        ("192.168.1.1", "IP address"),
        ("-bad.example.com", "hyphen"),
        ("ex!ample.com", "contains '!'"),
    ],
)
def test_rejects_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(DomainError) as info:
        normalize_domain(text)
    assert reason in str(info.value)


def test_email_gives_its_domain_when_asked() -> None:
    assert normalize_domain("Sales@Example.com", allow_email=True) == "example.com"
    with pytest.raises(DomainError, match="after @"):
        normalize_domain("@example.com", allow_email=True)


def test_display_form_decodes_a_labels() -> None:
    assert to_unicode("xn--bcher-kva.de") == "bücher.de"
