// vidstyle serve: send the webcam over WebRTC, show it and its stylized return side by side.
"use strict";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token");
const state = { info: null, pc: null, viewer: null, frames: { in: 0, out: 0 }, last: null, recorder: null };

function say(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function api(path, options = {}) {
  // The token also travels as a cookie set with the page; the header covers browsers that drop it.
  const headers = { ...(options.headers || {}), ...(token ? { "X-Vidstyle-Token": token } : {}) };
  const response = await fetch(path, { ...options, headers });
  const body = response.headers.get("Content-Type")?.includes("json") ? await response.json() : {};
  if (!response.ok) throw new Error(body.error || `${path}: HTTP ${response.status}`);
  return body;
}

function countFrames(video, key) {
  const tick = () => { state.frames[key] += 1; video.requestVideoFrameCallback(tick); };
  video.requestVideoFrameCallback(tick);
}

function iceGathered(pc) {
  // One offer with every candidate in it: the server does not take trickled candidates.
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => pc.addEventListener("icegatheringstatechange", () => {
    if (pc.iceGatheringState === "complete") resolve();
  }));
}

async function start() {
  const info = await api("/info");
  state.info = info;
  $("model").textContent = `model: ${info.model} · ${info.backend} on ${info.device} · max side ${info.max_side ?? "full"}`;
  for (const name of info.styles || []) $("styles").add(new Option(name, name));
  // Say so before opening the camera; the server still refuses an offer past the limit (503).
  if (info.viewers >= info.max_viewers) throw new Error(`the server is full: ${info.max_viewers} viewers connected (--max-viewers); try again later`);
  const pc = new RTCPeerConnection();
  state.pc = pc;
  let width = 0, height = 0;
  if (info.source === "server") {
    // The server's own camera: receive its frames and the stylized ones, send nothing.
    const videos = [$("input"), $("output")];
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addEventListener("track", (event) => {
      const index = pc.getTransceivers().indexOf(event.transceiver);
      videos[index].srcObject = new MediaStream([event.track]);
    });
  } else {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    $("input").srcObject = stream;
    const track = stream.getVideoTracks()[0];
    ({ width, height } = track.getSettings());
    pc.addTrack(track, stream);
    pc.addEventListener("track", (event) => { $("output").srcObject = new MediaStream([event.track]); });
  }
  pc.addEventListener("connectionstatechange", () => {
    if (["failed", "closed"].includes(pc.connectionState)) say(`connection ${pc.connectionState}`, true);
  });
  await pc.setLocalDescription(await pc.createOffer());
  await iceGathered(pc);
  const answer = await api("/offer", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sdp: pc.localDescription.sdp, type: pc.localDescription.type, width, height }),
  });
  state.viewer = answer.viewer;
  await pc.setRemoteDescription({ sdp: answer.sdp, type: answer.type });
  countFrames($("input"), "in");
  countFrames($("output"), "out");
  $("snapshot").disabled = false;
  $("record").disabled = false;
  say(info.source === "server" ? "connected: watching the server's camera" : `connected: ${width}x${height} camera`);
  setInterval(updateReadouts, 1000);
}

function perFrame(now, before, total, count) {
  const frames = now[count] - (before?.[count] ?? 0);
  return frames > 0 ? (now[total] - (before?.[total] ?? 0)) / frames : null;
}

async function updateReadouts() {
  const seconds = 1;
  $("fps-in").textContent = `${(state.frames.in / seconds).toFixed(1)} fps`;
  $("fps-out").textContent = `${(state.frames.out / seconds).toFixed(1)} fps`;
  state.frames = { in: 0, out: 0 };
  const current = { rtt: null, out: null, in: null };
  (await state.pc.getStats()).forEach((report) => {
    if (report.type === "candidate-pair" && report.nominated && report.currentRoundTripTime !== undefined) current.rtt = report.currentRoundTripTime;
    if (report.type === "outbound-rtp" && report.kind === "video") current.out = report;
    if (report.type === "inbound-rtp" && report.kind === "video") current.in = report;
  });
  let server;
  try {
    server = await api(`/stats?viewer=${state.viewer}`);
  } catch (error) {
    say(error.message, true);
    return;
  }
  if (server.error) say(server.error, true);
  const last = state.last || {};
  const fromServer = state.info.source === "server";
  // Watching the server's camera, nothing is encoded here and the frames cross the network once.
  const encode = fromServer ? 0 : current.out && perFrame(current.out, last.out, "totalEncodeTime", "framesEncoded");
  const network = fromServer ? current.rtt / 2 : current.rtt;
  const buffer = current.in && perFrame(current.in, last.in, "jitterBufferDelay", "jitterBufferEmittedCount");
  const decode = current.in && perFrame(current.in, last.in, "totalDecodeTime", "framesDecoded");
  state.last = current;
  if (server.server_ms !== null) $("server-ms").textContent = `server: ${server.server_ms.toFixed(0)} ms`;
  $("model-ms").textContent = `model: ${server.model_ms.toFixed(0)} ms`;
  if ([encode, buffer, decode, current.rtt, server.server_ms].every((v) => v !== null && v !== undefined)) {
    const total = 1000 * (encode + network + buffer + decode) + server.server_ms;
    $("latency").textContent = `round trip ≈ ${total.toFixed(0)} ms`;
  }
}

$("snapshot").addEventListener("click", () => {
  const video = $("output");
  const canvas = Object.assign(document.createElement("canvas"), { width: video.videoWidth, height: video.videoHeight });
  canvas.getContext("2d").drawImage(video, 0, 0);
  canvas.toBlob((blob) => download(blob, "vidstyle-snapshot.png"), "image/png");
});

$("record").addEventListener("click", () => {
  if (state.recorder) {
    state.recorder.stop();
    return;
  }
  const chunks = [];
  const recorder = new MediaRecorder($("output").srcObject);
  recorder.addEventListener("dataavailable", (event) => chunks.push(event.data));
  recorder.addEventListener("stop", () => {
    download(new Blob(chunks, { type: recorder.mimeType }), "vidstyle-recording.webm");
    state.recorder = null;
    $("record").textContent = "record";
  });
  recorder.start();
  state.recorder = recorder;
  $("record").textContent = "stop recording";
});

function download(blob, name) {
  const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// Free the server's peer connection at once rather than when its ICE checks time out.
addEventListener("pagehide", () => {
  if (state.viewer) navigator.sendBeacon(`/close?viewer=${state.viewer}` + (token ? `&token=${encodeURIComponent(token)}` : ""));
  state.pc?.close();
});

start().catch((error) => say(error.message, true));
