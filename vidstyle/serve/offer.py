"""The body a page POSTs to /offer, checked before it costs anything: a flat JSON object of
known fields, finite numbers in range and a bounded size (parse_offer), then an SDP that
offers video (check_sdp).

Every way it can be wrong is an OfferError with one line for the page and the log; no body
reaches json's recursion, a float overflow or aiortc's parser unchecked.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from aiortc import RTCSessionDescription
from aiortc import sdp as aiortc_sdp

MAX_OFFER_BYTES = 64 * 1024  # an SDP offer is a few kB; anything far larger is not one
MAX_DEPTH = 1  # {"sdp": ..., "width": ...} is one level; nothing in an offer nests
MAX_CAMERA_SIDE = 65535  # what a width or height may claim at all (the server's own limit is lower)
FIELDS = ("sdp", "type", "width", "height")
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


class OfferError(ValueError):
    """A body that is not a usable offer; its message is the one line the page shows."""


@dataclass(frozen=True)
class Offer:
    description: RTCSessionDescription
    width: int  # the page's camera, 0 when it sends none
    height: int


def nesting_depth(text: str) -> int:
    """How deep [ and { nest outside strings: checked before json.loads, which recurses per level."""
    depth = deepest = 0
    for char in JSON_STRING.sub('""', text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    raise OfferError(f"the offer holds {name}, which is not a finite number")


def _short_int(text: str) -> int:
    if len(text) > 20:
        raise OfferError(f"the offer holds a number out of range: {text[:20]}...")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise OfferError(f"the offer holds a number out of range: {text[:20]}")
    return value


def parse_offer(text: str) -> Offer:
    if len(text.encode()) > MAX_OFFER_BYTES:
        raise OfferError(f"the offer is over {MAX_OFFER_BYTES // 1024} kB")
    if nesting_depth(text) > MAX_DEPTH:
        raise OfferError("the offer nests deeper than a flat JSON object")
    try:
        body = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_short_int)
    except OfferError:
        raise
    except ValueError as exc:  # JSONDecodeError
        raise OfferError(f"the offer is not JSON: {str(exc)[:100]}") from None
    if not isinstance(body, dict):
        raise OfferError("the offer is not a JSON object")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise OfferError(f"unknown field {unknown[0][:40]!r} in the offer (it has {', '.join(FIELDS)})")
    sdp, kind = body.get("sdp"), body.get("type")
    if not isinstance(sdp, str) or not sdp:
        raise OfferError("the offer's sdp must be a non-empty string")
    if kind != "offer":
        raise OfferError('the offer\'s type must be "offer"')
    width, height = (camera_side(body, name) for name in ("width", "height"))
    return Offer(RTCSessionDescription(sdp=sdp, type="offer"), width, height)


def camera_side(body: dict[str, Any], name: str) -> int:
    value = body.get(name, 0)
    # bool is an int in Python, not in JSON's sense of a size.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CAMERA_SIDE:
        raise OfferError(f"the offer's {name} must be a whole number of pixels from 0 to {MAX_CAMERA_SIDE}")
    return value


def check_sdp(text: str) -> None:
    """What aiortc would take without complaint but could not use, or would refuse in words that
    do not say what is missing."""
    try:
        session = aiortc_sdp.SessionDescription.parse(text)
    except Exception as exc:  # noqa: BLE001 - aiortc's parser raises what it meets
        raise OfferError(f"bad offer: the SDP cannot be read ({str(exc)[:100]})") from None
    videos = [media for media in session.media if media.kind == "video"]
    if not videos:
        raise OfferError("bad offer: the SDP offers no video (an m=video section)")
    for index, media in enumerate(session.media):
        if media.direction not in DIRECTIONS:
            raise OfferError(
                f"bad offer: the SDP's media section {index} ({media.kind}) has no direction (a=sendrecv, "
                "a=sendonly, a=recvonly or a=inactive)"
            )
