"""`vidstyle serve`: live style transfer in the browser over WebRTC.

peers.py moves frames between aiortc tracks and the camera's latest-wins loop (jobs/live);
app.py is the web server: the page, signalling, the token check and the limits. aiortc and
aiohttp are the `serve` extra, imported only here.
"""
