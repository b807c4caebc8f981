"""Who may talk to `vidstyle serve`: the Host and Origin its own page sends, and the token off loopback.

A web page anywhere can make a browser send requests to 127.0.0.1, and DNS rebinding can make
the browser believe that address is the page's own site. So, as Jupyter does, the Host header
must name this server (its address and port, or a loopback name when it listens on loopback),
and an Origin, which browsers send on every cross-site request and every POST, must be the
page's own. A non-loopback server also needs the token printed once in its URL.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

log = logging.getLogger("vidstyle")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
TOKEN_HEADER = "X-Vidstyle-Token"
DEFAULT_PORTS = {"http": 80, "https": 443}


def needs_token(host: str) -> bool:
    return host not in LOOPBACK_HOSTS


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_matches(given: str | None, token: str) -> bool:
    # compare_digest takes the same time wherever the strings differ: no timing oracle.
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def token_cookie(port: int) -> str:
    """Cookies ignore ports: two servers on one host would overwrite each other's under one name."""
    return f"vidstyle_token_{port}"


def split_host(value: str) -> tuple[str, int | None] | None:
    """A Host header as (lower-case name, port or None); None when it is not a host[:port]."""
    if value.startswith("["):  # an IPv6 literal: [::1]:8765
        name, bracket, rest = value[1:].partition("]")
        if not bracket:
            return None
    else:
        name, colon, port_text = value.partition(":")
        rest = colon + port_text
    if rest and not (rest[0] == ":" and rest[1:].isdigit() and len(rest) <= 6 and int(rest[1:]) <= 65535):
        return None
    return (name.lower(), int(rest[1:]) if rest else None) if name else None


@dataclass(frozen=True)
class Guard:
    bind_host: str
    scheme: str  # http or https: what the page's own origin starts with
    token: str | None

    def host_names(self) -> tuple[str, ...] | None:
        """The names a Host header may give; None for a wildcard bind (any of the machine's names,
        where the token is what keeps others out)."""
        bound = self.bind_host.strip("[]").lower()
        if bound in WILDCARD_HOSTS:
            return None
        return LOOPBACK_HOSTS if bound in LOOPBACK_HOSTS else (bound,)

    def host_problem(self, host: str | None, port: int) -> str | None:
        """Why this Host header does not name the server listening on `port`, or None."""
        names = self.host_names()
        if names is None:
            return None
        parsed = split_host(host or "")
        if parsed is None or parsed[0] not in names or (parsed[1] or DEFAULT_PORTS[self.scheme]) != port:
            return f"Host {clip(host)} is not this server's address"
        return None

    def origin_problem(self, origin: str | None, host: str | None) -> str | None:
        """Why an Origin is not the page's own (scheme://Host), or None. No Origin: not a cross-site browser request."""
        if origin is None:
            return None
        own = split_host(host or "")
        try:
            parts = urlsplit(origin)
            # An origin is scheme://host[:port] and nothing more ("null" from a sandbox or file is none).
            theirs = (
                None
                if parts.path or parts.query or parts.fragment
                else (parts.scheme, parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme))
            )
        except ValueError:  # a port that is not a number
            theirs = None
        if own is None or theirs != (self.scheme, own[0], own[1] or DEFAULT_PORTS[self.scheme]):
            return f"Origin {clip(origin)} is not this server's page"
        return None


def clip(value: str | None) -> str:
    """A header value as it goes into a message: quoted, escaped, and short."""
    return repr(value[:100]) if value is not None else "(missing)"


def guard_middleware(guard: Guard) -> Any:
    @web.middleware
    async def check(request: web.Request, handler: Any) -> web.StreamResponse:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        port = sockname[1] if isinstance(sockname, tuple) else 0
        host = request.headers.get("Host")
        problem = guard.host_problem(host, port) or guard.origin_problem(request.headers.get("Origin"), host)
        if problem:
            log.info("refused %s %s: %s", request.method, request.path, problem)
            return web.Response(status=403, text=f"403: {problem}; open the URL that `vidstyle serve` printed\n")
        if guard.token is None:
            return await handler(request)
        from_url = request.query.get("token")
        cookie = token_cookie(port)
        given = from_url or request.headers.get(TOKEN_HEADER) or request.cookies.get(cookie)
        if not token_matches(given, guard.token):
            return web.Response(
                status=403, text="403: missing or wrong token; open the URL that `vidstyle serve` printed\n"
            )
        response = await handler(request)
        if from_url:
            # The page's own requests (script, style, signalling) then carry it without the URL.
            response.set_cookie(cookie, guard.token, httponly=True, samesite="Strict", secure=request.secure)
        return response

    return check
