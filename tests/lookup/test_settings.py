import pytest

from wizard.lookup.settings import PUBLIC_DOH, LookupSettings, parse_doh_url, parse_server


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("[::1]:5300", ("::1", 5300)),
        ("::1", ("::1", 53)),
    ],
)
def test_server_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_server(text) == expected


@pytest.mark.parametrize("text", ["", "dns.google", "127.0.0.1:0", "127.0.0.1:99999", "[::1", "1.2.3.4:x"])
def test_bad_server_addresses_say_why(text: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        parse_server(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://dns.google/dns-query", "https://dns.google/dns-query"),
        (" https://127.0.0.1:8443 ", "https://127.0.0.1:8443/dns-query"),  # the RFC 8484 path by default
        ("https://doh.example.com:443/q?x=1", "https://doh.example.com/q?x=1"),
    ],
)
def test_doh_urls(text: str, expected: str) -> None:
    assert parse_doh_url(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("http://dns.example/dns-query", "https://"),
        ("dns.example", "https://"),
        ("https://user:secret@dns.example/", "password"),
        ("https://dns.example:99999/", "not a URL"),
    ],
)
def test_bad_doh_urls_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_doh_url(text)


def test_public_view_defaults_to_the_well_known_doh_endpoints() -> None:
    settings = LookupSettings()
    assert [label for label, _ in settings.public_doh] == ["Google", "Cloudflare", "Quad9"]
    assert settings.public_doh == PUBLIC_DOH and settings.public_resolver_addresses == ()
    assert all(url.startswith("https://") for _, url in PUBLIC_DOH)
