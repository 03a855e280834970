// What the browser side of the interop tests does, with Debian's janus.js and adapter.js.
// The test drives it over the DevTools protocol: each function returns a Promise that the
// test awaits (Runtime.evaluate with awaitPromise) and resolves with plain JSON.
"use strict";

const rx = {
  janus: null,
  handles: {},   // name -> janus.js plugin handle
  messages: {},  // name -> plugin messages and data received, in order
  log: [],
};

function note(text) {
  rx.log.push(text);
}

// Resolves when `test(item)` holds for an item pushed to rx.messages[name] (or already there).
function waitMessage(name, test, what) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const found = (rx.messages[name] || []).find(test);
      if (found !== undefined) {
        resolve(found);
      } else if (Date.now() - started > 30000) {
        reject(new Error(`no ${what} on ${name} within 30 s`));
      } else {
        rx.wakers.push(poll);
      }
    };
    poll();
  });
}
rx.wakers = [];
function pushMessage(name, item) {
  (rx.messages[name] = rx.messages[name] || []).push(item);
  const wakers = rx.wakers;
  rx.wakers = [];
  wakers.forEach((wake) => wake());
}

function connect(server) {
  return new Promise((resolve, reject) => {
    Janus.init({
      debug: false,
      dependencies: Janus.useDefaultDependencies(),
      callback: () => {
        rx.janus = new Janus({
          server: server,
          iceServers: [],
          success: () => resolve(rx.janus.getSessionId()),
          error: (cause) => reject(new Error(`janus.js: ${cause}`)),
        });
      },
    });
  });
}

// Attach `plugin` as `name`; extra callbacks (onmessage, ...) are merged in.
function attach(name, plugin, callbacks) {
  return new Promise((resolve, reject) => {
    rx.messages[name] = rx.messages[name] || [];
    rx.janus.attach(Object.assign({
      plugin: plugin,
      success: (handle) => {
        rx.handles[name] = handle;
        resolve(handle.getId());
      },
      error: (cause) => reject(new Error(`attach ${plugin}: ${cause}`)),
      onmessage: (msg, jsep) => pushMessage(name, { msg: msg, jsep: jsep || null }),
      webrtcState: (up) => pushMessage(name, { webrtc: up }),
      ondata: (data) => pushMessage(name, { data: data }),
      ondataopen: () => pushMessage(name, { dataopen: true }),
      mediaState: (medium, receiving) => pushMessage(name, { media: medium, receiving: receiving }),
      onremotetrack: (track, mid, on) => {
        if (on) {
          // A sink, as a page showing the video and playing the sound would have
          // (Chromium decodes remote audio only while something plays it out).
          const element = document.createElement(track.kind === "video" ? "video" : "audio");
          element.muted = track.kind === "video";
          element.autoplay = true;
          element.srcObject = new MediaStream([track]);
          document.body.appendChild(element);
        }
      },
    }, callbacks || {}));
  });
}

function send(name, message, jsep) {
  return new Promise((resolve, reject) => {
    rx.handles[name].send({
      message: message,
      jsep: jsep,
      success: (reply) => resolve(reply || null),
      error: (cause) => reject(new Error(`${JSON.stringify(message)}: ${cause}`)),
    });
  });
}

function offer(name, tracks) {
  return new Promise((resolve, reject) => {
    rx.handles[name].createOffer({
      tracks: tracks,
      success: resolve,
      error: (cause) => reject(new Error(`createOffer: ${cause.message || cause}`)),
    });
  });
}

function answer(name, jsep, tracks) {
  return new Promise((resolve, reject) => {
    rx.handles[name].createAnswer({
      jsep: jsep,
      tracks: tracks,
      success: resolve,
      error: (cause) => reject(new Error(`createAnswer: ${cause.message || cause}`)),
    });
  });
}

const CAMERA_AND_MIC = [
  { type: "audio", capture: true, recv: false },
  { type: "video", capture: true, recv: false },
];

// -- VideoRoom ---------------------------------------------------------------------------

// Publishes the fake camera and microphone; resolves with the feed id and the
// milliseconds from attach to Janus's "media" event saying it receives the video.
async function videoroomPublish(room, display, name) {
  name = name || "publisher";
  const started = performance.now();
  await attach(name, "janus.plugin.videoroom");
  await send(name, { request: "join", ptype: "publisher", room: room, display: display });
  const joined = await waitMessage(name, (m) => m.msg && m.msg.videoroom === "joined", "joined");
  const jsep = await offer(name, CAMERA_AND_MIC);
  await send(name, { request: "configure", audio: true, video: true }, jsep);
  const answered = await waitMessage(name, (m) => m.jsep && m.jsep.type === "answer", "answer");
  rx.handles[name].handleRemoteJsep({ jsep: answered.jsep });
  await waitMessage(name, (m) => m.media === "video" && m.receiving, "media receiving video");
  return { id: joined.msg.id, ms: performance.now() - started };
}

// Subscribes to `feed`; resolves with the milliseconds from attach to the first
// decoded frame (getStats framesDecoded, read every 10 ms).
async function videoroomSubscribe(room, feed, name) {
  name = name || "subscriber";
  const started = performance.now();
  await attach(name, "janus.plugin.videoroom");
  await send(name, { request: "join", ptype: "subscriber", room: room, streams: [{ feed: feed }] });
  const offered = await waitMessage(name, (m) => m.jsep && m.jsep.type === "offer", "offer");
  // Audio and video are accepted as offered (receive only), like Meetecho's demos do.
  const jsep = await answer(name, offered.jsep, [{ type: "data" }]);
  await send(name, { request: "start" }, jsep);
  await firstFrame(name);
  return performance.now() - started;
}

// Resolves once the handle's PeerConnection has decoded a video frame.
async function firstFrame(name) {
  for (;;) {
    const stats = await inbound(name);
    if (stats.video && stats.video.framesDecoded > 0) {
      return stats.video.framesDecoded;
    }
    await new Promise((wake) => setTimeout(wake, 10));
  }
}

// -- AudioBridge -------------------------------------------------------------------------

async function audiobridgeJoin(room, display) {
  const name = "audiobridge";
  await attach(name, "janus.plugin.audiobridge");
  await send(name, { request: "join", room: room, display: display });
  await waitMessage(name, (m) => m.msg && m.msg.audiobridge === "joined", "joined");
  const jsep = await offer(name, [{ type: "audio", capture: true, recv: true }]);
  await send(name, { request: "configure", muted: false }, jsep);
  const answered = await waitMessage(name, (m) => m.jsep && m.jsep.type === "answer", "answer");
  rx.handles[name].handleRemoteJsep({ jsep: answered.jsep });
  await waitMessage(name, (m) => m.webrtc === true, "webrtcup");
  return true;
}

// -- TextRoom ----------------------------------------------------------------------------

async function textroomJoin(room, username) {
  const name = "textroom";
  await attach(name, "janus.plugin.textroom");
  await send(name, { request: "setup" });
  const offered = await waitMessage(name, (m) => m.jsep && m.jsep.type === "offer", "offer");
  const jsep = await answer(name, offered.jsep, [{ type: "data" }]);
  await send(name, { request: "ack" }, jsep);
  await waitMessage(name, (m) => m.dataopen, "data channel");
  const transaction = `join-${username}`;
  rx.handles[name].data({
    text: JSON.stringify({ textroom: "join", transaction: transaction, room: room,
      username: username, display: username }),
    error: (cause) => note(`data: ${cause}`),
  });
  await waitMessage(name, (m) => m.data && JSON.parse(m.data).transaction === transaction, "join");
  return true;
}

function textroomSay(room, text) {
  return new Promise((resolve, reject) => {
    rx.handles.textroom.data({
      text: JSON.stringify({ textroom: "message", transaction: `say-${Date.now()}`, room: room,
        text: text }),
      success: () => resolve(true),
      error: (cause) => reject(new Error(`data: ${cause}`)),
    });
  });
}

async function textroomHeard(text) {
  const heard = await waitMessage("textroom", (m) => {
    if (!m.data) return false;
    const parsed = JSON.parse(m.data);
    return parsed.textroom === "message" && parsed.text === text;
  }, `message ${text}`);
  return JSON.parse(heard.data);
}

// -- VideoCall ---------------------------------------------------------------------------

async function videocallCall(me, peer) {
  const name = "videocall";
  await attach(name, "janus.plugin.videocall");
  await send(name, { request: "register", username: me });
  await waitMessage(name, (m) => m.msg && m.msg.result && m.msg.result.event === "registered",
    "registered");
  const jsep = await offer(name, [
    { type: "audio", capture: true, recv: true },
    { type: "video", capture: true, recv: true },
  ]);
  await send(name, { request: "call", username: peer }, jsep);
  const accepted = await waitMessage(name, (m) => m.jsep && m.jsep.type === "answer", "accepted");
  rx.handles[name].handleRemoteJsep({ jsep: accepted.jsep });
  await waitMessage(name, (m) => m.webrtc === true, "webrtcup");
  return true;
}

// -- reading back and leaving ------------------------------------------------------------

// What the handle's PeerConnection received and decoded (getStats, inbound-rtp).
async function inbound(name) {
  const pc = rx.handles[name].webrtcStuff.pc;
  const found = { audio: null, video: null };
  if (!pc) return found;
  const report = await pc.getStats();
  report.forEach((entry) => {
    if (entry.type !== "inbound-rtp") return;
    if (entry.kind === "video") {
      found.video = { framesDecoded: entry.framesDecoded || 0, frameWidth: entry.frameWidth || 0,
        frameHeight: entry.frameHeight || 0, packetsReceived: entry.packetsReceived || 0 };
    } else if (entry.kind === "audio") {
      found.audio = { totalAudioEnergy: entry.totalAudioEnergy || 0,
        totalSamplesReceived: entry.totalSamplesReceived || 0,
        packetsReceived: entry.packetsReceived || 0 };
    }
  });
  return found;
}

// Resolves once `name` has decoded at least `frames` video frames; returns the stats.
async function decodedVideo(name, frames) {
  for (;;) {
    const stats = await inbound(name);
    if (stats.video && stats.video.framesDecoded >= frames) return stats.video;
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

// Resolves once `name` has received audio with energy above `energy`; returns the stats.
async function heardAudio(name, energy) {
  for (;;) {
    const stats = await inbound(name);
    if (stats.audio && stats.audio.totalAudioEnergy > energy) return stats.audio;
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

function detach(name) {
  return new Promise((resolve) => {
    const handle = rx.handles[name];
    if (!handle) {
      resolve(false);
      return;
    }
    delete rx.handles[name];
    delete rx.messages[name];
    handle.detach({ success: () => resolve(true), error: () => resolve(false) });
  });
}

// Detach every handle and destroy the session; resolves once Janus has confirmed.
function leave() {
  return new Promise((resolve) => {
    if (!rx.janus) {
      resolve(false);
      return;
    }
    const janus = rx.janus;
    rx.janus = null;
    janus.destroy({
      cleanupHandles: true,
      success: () => resolve(true),
      error: (cause) => {
        note(`destroy: ${cause}`);
        resolve(false);
      },
    });
  });
}
