"""What an offer's body may hold: checked before json recurses, a float overflows or aiortc parses."""

from __future__ import annotations

import asyncio
import json

import pytest

pytest.importorskip("aiortc")

from aiortc import RTCPeerConnection  # noqa: E402

from vidstyle.serve.offer import MAX_OFFER_BYTES, OfferError, check_sdp, nesting_depth, parse_offer  # noqa: E402


@pytest.fixture(scope="module")
def sdp() -> str:
    async def offer() -> str:
        pc = RTCPeerConnection()
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        text = pc.localDescription.sdp
        await pc.close()
        return text

    return asyncio.run(offer())


def body(sdp: str, **fields: object) -> str:
    return json.dumps({"sdp": sdp, "type": "offer", **fields})


def test_a_pages_offer_is_read(sdp: str) -> None:
    offer = parse_offer(body(sdp, width=640, height=480))
    assert (offer.width, offer.height, offer.description.type) == (640, 480, "offer")
    assert offer.description.sdp == sdp
    assert (parse_offer(body(sdp)).width, parse_offer(body(sdp)).height) == (0, 0)  # no camera: --source


def test_depth_is_counted_outside_strings() -> None:
    assert nesting_depth('{"a": "[[[[{{{"}') == 1
    assert nesting_depth('{"a": "\\"[[["}') == 1
    assert nesting_depth("[" * 30000) == 30000
    assert nesting_depth('{"a": [{"b": 1}]}') == 3


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"sdp":"x","type":"offer","width":1e400}', "a number out of range: 1e400"),
        ('{"sdp":"x","type":"offer","width":-1e400}', "out of range"),
        ('{"sdp":"x","type":"offer","width":Infinity}', "holds Infinity, which is not a finite number"),
        ('{"sdp":"x","type":"offer","width":NaN}', "holds NaN"),
        ("[" * 30000, "nests deeper"),
        ('{"sdp":"x","type":"offer","width":' + "9" * 5000 + "}", "out of range"),
        ('{"sdp":"x","type":"offer","width":1.0}', "whole number"),
        ('{"sdp":"x","type":"offer","height":65536}', "from 0 to 65535"),
        ('{"sdp":"x","type":"offer","width":false}', "whole number"),
        ('{"sdp":"x","type":"offer","width":"640"}', "whole number"),
        ('{"sdp":"","type":"offer"}', "non-empty string"),
        ('{"sdp":["x"],"type":"offer"}', "nests deeper"),
        ('{"sdp":"x"}', 'type must be "offer"'),
        ('{"sdp":"x","type":"offer","extra":1}', "unknown field 'extra'"),
        ('"offer"', "not a JSON object"),
        ("{", "not JSON"),
    ],
)
def test_a_bad_body_is_one_clear_line(text: str, says: str) -> None:
    with pytest.raises(OfferError) as refused:
        parse_offer(text)
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)


def test_an_offer_over_the_size_limit_is_refused_unread(sdp: str) -> None:
    with pytest.raises(OfferError, match="over 64 kB"):
        parse_offer(body(sdp + "a=x-padding:" + "x" * MAX_OFFER_BYTES + "\r\n"))


def test_a_pages_sdp_passes(sdp: str) -> None:
    check_sdp(sdp)


def test_a_media_section_without_a_direction_is_named(sdp: str) -> None:
    """aiortc itself fails on it with "None is not in list"."""
    without = "\r\n".join(line for line in sdp.split("\r\n") if line != "a=recvonly")
    with pytest.raises(OfferError, match=r"media section 0 \(video\) has no direction"):
        check_sdp(without)


@pytest.mark.parametrize("text", ["x", "v=0\r\n", ""])
def test_an_sdp_without_video_is_refused(text: str) -> None:
    """aiortc answers these, and the viewer would hold a slot with nothing to send."""
    with pytest.raises(OfferError, match="offers no video"):
        check_sdp(text)


def test_an_audio_only_offer_is_refused(sdp: str) -> None:
    with pytest.raises(OfferError, match="offers no video"):
        check_sdp(sdp.replace("m=video", "m=audio"))
