"""`vidstyle serve`: live style transfer in the browser over WebRTC.

peers.py moves frames between aiortc tracks and the camera's latest-wins loop (live/);
app.py is the web server: the page, signalling and the limits; guard.py decides who may send
it requests (Host, Origin, token) and offer.py what an offer may hold; server.py binds it and
stops it on a signal. aiortc and aiohttp are the `serve` extra, imported only here.
"""
