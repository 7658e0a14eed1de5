// sessioncheck: the client's side of a peer test, in a web browser.
//
// Speaks the same protocols as `sessioncheck join` (see sessioncheck/server/rooms.py for the
// room, sessioncheck/peer/session.py for the test, sessioncheck/rtc/measure/ for the
// measurements): join the room with the code, offer, and then
//   * answer the therapist's measurements on its channels (th-ctl, th-probe, th-bulk):
//     pings, paced packets (RFC 3550 jitter and loss), bulk bytes received, media statistics;
//   * measure our own side on ours (cl-ctl, cl-probe, cl-bulk): delay, upload, media leg;
//   * send fake camera and microphone (whatever getUserMedia gives) as the media leg;
//   * send our facts and results over peer-sync, and show the therapist's wording for us.
// A browser cannot see sessioncheck's raw DTLS probe records nor its capacity blast; the
// therapist's side knows (the offer says "peer": "browser") and uses data-channel messages.
// Nothing is recorded: the media is only sent and counted.
//
// Modules: protocol.js (the constants, from /protocol.json), signalling.js (the room),
// measure.js (packets and arithmetic), peertest.js (the test), ui.js (the page's wording).
//
// Query parameters: code=4KQ-7PZ-M2X fills the code; auto=1 also starts at once;
// token=T is the server's access token, if it has one.

import { PROTOCOL } from "./protocol.js";
import { PeerTest } from "./peertest.js";
import { Failure } from "./signalling.js";
import { phrase, setBusy, setUpForm, showVerdict, step } from "./ui.js";

let running = false;

async function start(code, token) {
  if (running) return;
  code = code.trim();
  if (!code) { step(phrase("browser.error.no_code"), true); return; }
  if (typeof RTCPeerConnection === "undefined") { step(phrase("browser.error.unsupported"), true); return; }
  running = true;
  setBusy(true);
  const test = new PeerTest(code, token);
  window.sessioncheckTest = test;
  try {
    await test.run();
    step(phrase("browser.done"));
    showVerdict(String(test.verdict.text || ""), test.verdict.verdict !== PROTOCOL.peer.ready_verdict);
    document.title = "sessioncheck: done";
  } catch (e) {
    const detail = e instanceof Failure ? e.message : (e && e.message) || String(e);
    console.log("sessioncheck: failed: " + (e && e.stack ? e.stack : detail));
    step(phrase("browser.failed", { detail }), true);
    document.title = "sessioncheck: " + (e instanceof Failure ? e.outcome : "error");
  } finally {
    test.close();
    running = false;
    setBusy(false);
  }
}

setUpForm(start);
