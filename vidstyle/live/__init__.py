"""The live wing: `vidstyle camera`, and the loop `vidstyle serve` runs for each viewer.

A capture thread, an inference stage and the caller's thread, joined by latest-wins mailboxes
(pipeline.run_pipeline): a stale frame is dropped, never queued, so latency stays bounded.

  stage.py    Stage: what runs between capture and display (styles.StyleSwitcher, serve's SharedStage)
  styles.py   StyleSwitcher: the style list that n/p step through and m cross-fades along; load_styles
  stats.py    LiveStats: frames shown and a bounded window of latencies
  session.py  run_live (the loop) and run_camera (checks, outputs, the stats JSON)
  outputs.py  where frames go: the window choice (--display), --record, --virtual-cam
  window.py   the OpenCV window: keys, side by side, fullscreen; whether one can be shown

Nothing is imported here: `vidstyle camera` opens the window (window.py) before anything
loads PyAV, which the session pulls in (window.open_window says why).
"""
