"""Who may talk to `vidstyle serve`: Host, Origin and token, decided without a server running."""

from __future__ import annotations

import pytest

pytest.importorskip("aiortc")

from vidstyle.serve.guard import Guard, needs_token, split_host, token_cookie, token_matches  # noqa: E402


def test_only_the_loopback_names_are_open() -> None:
    assert not needs_token("127.0.0.1") and not needs_token("localhost") and not needs_token("::1")
    assert needs_token("0.0.0.0") and needs_token("192.168.1.5") and needs_token("127.0.0.2")


def test_token_comparison() -> None:
    assert token_matches("abc", "abc")
    assert not token_matches("abd", "abc") and not token_matches(None, "abc") and not token_matches("", "abc")


def test_each_port_has_its_own_cookie() -> None:
    assert token_cookie(8765) != token_cookie(8766)


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("localhost:8765", ("localhost", 8765)),
        ("LOCALHOST", ("localhost", None)),
        ("[::1]:8765", ("::1", 8765)),
        ("[::1]", ("::1", None)),
        ("::1", None),  # an IPv6 literal goes in brackets
        ("a:b", None),
        ("a:99999", None),
        ("a:", None),
        (":8765", None),
        ("[::1", None),
        ("", None),
    ],
)
def test_host_headers_are_read_strictly(header: str, parsed: tuple[str, int | None] | None) -> None:
    assert split_host(header) == parsed


def test_a_loopback_server_answers_to_the_loopback_names_on_its_port() -> None:
    guard = Guard(bind_host="127.0.0.1", scheme="http", token=None)
    for host in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765"):
        assert guard.host_problem(host, 8765) is None
    for wrong in ("attacker.example:8765", "127.0.0.1:8766", "127.0.0.1", "192.168.1.5:8765", None):
        assert guard.host_problem(wrong, 8765) is not None


def test_another_address_answers_to_its_own_name_only() -> None:
    guard = Guard(bind_host="192.168.1.5", scheme="https", token="t")
    assert guard.host_problem("192.168.1.5:8443", 8443) is None
    assert guard.host_problem("192.168.1.5", 443) is None  # the scheme's own port goes unsaid
    assert guard.host_problem("localhost:8443", 8443) is not None


def test_a_wildcard_bind_leaves_the_name_to_the_token() -> None:
    guard = Guard(bind_host="0.0.0.0", scheme="http", token="t")
    assert guard.host_problem("gpu-box.lan:8765", 8765) is None


@pytest.mark.parametrize(
    ("origin", "ok"),
    [
        (None, True),
        ("http://localhost:8765", True),
        ("http://LOCALHOST:8765", True),
        ("https://localhost:8765", False),
        ("http://localhost:8766", False),
        ("http://127.0.0.1:8765", False),  # the same server under another name is another page
        ("http://attacker.example", False),
        ("null", False),
        ("http://localhost:8765/", False),
        ("http://localhost:x", False),
    ],
)
def test_the_origin_must_be_the_pages_own(origin: str | None, ok: bool) -> None:
    guard = Guard(bind_host="127.0.0.1", scheme="http", token=None)
    assert (guard.origin_problem(origin, "localhost:8765") is None) == ok


def test_the_default_port_may_go_unsaid_in_either() -> None:
    guard = Guard(bind_host="example.org", scheme="https", token="t")
    assert guard.origin_problem("https://example.org", "example.org:443") is None
    assert guard.origin_problem("https://example.org:443", "example.org") is None
