// sessioncheck: the client's side of a peer test, in a web browser.
//
// Speaks the same protocols as `sessioncheck join` (see sessioncheck/server/rooms.py for the
// room, sessioncheck/peer/session.py for the test, sessioncheck/rtc/protocols.py for the
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
// Query parameters: code=4KQ-7PZ-M2X fills the code; auto=1 also starts at once;
// token=T is the server's access token, if it has one.
"use strict";

(function () {
  const PHRASES = window.SESSIONCHECK_PHRASES || {};
  const KIND_PING = 1, KIND_PONG = 2, KIND_PACED = 3, HEADER = 17;
  const PING_SIZE = 64, PACED_SIZE = 64;
  const RX_REPORT_MS = 100;
  const BULK_MIN = 1024, BULK_MAX = 16 * 1024, BUFFER_MIN = 4 * 1024, BUFFER_MAX = 1024 * 1024;
  const BUFFER_TARGET_MS = 25;
  const DRAIN_MAX_MS = 4000;
  const TIMEOUTS = { server: 5000, connect: 10000, phase: 15000, exchange: 8000, gather: 5000 };
  const DEFAULT_PLAN = {
    ping_interval_s: 0.02, throughput_max_s: 2.6, throughput_min_s: 0.8, window_s: 0.2,
    loaded_ping_interval_s: 0.05, media_s: 1.5,
  };

  const $ = (id) => document.getElementById(id);
  const now = () => performance.now();
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function phrase(key, values) {
    let text = PHRASES[key] || key;
    for (const [k, v] of Object.entries(values || {})) text = text.split("{" + k + "}").join(String(v));
    return text;
  }

  // --- page ------------------------------------------------------------------------------

  function step(text, problem) {
    const list = $("progress");
    for (const li of list.querySelectorAll("li.current")) li.classList.remove("current");
    const li = document.createElement("li");
    li.textContent = text;
    li.className = problem ? "problem current" : "current";
    list.appendChild(li);
    console.log("sessioncheck: " + text);
  }

  function showVerdict(text, problem) {
    const box = $("verdict");
    box.textContent = text;
    box.className = problem ? "problem" : "";
    console.log("sessioncheck: verdict:\n" + text);
  }

  class Failure extends Error {
    constructor(outcome, detail) { super(detail); this.outcome = outcome; }
  }

  // --- binary packets: "!BIId" = kind, stream id, sequence number, send time (ms) -----------

  function pack(kind, stream, seq, ts, size) {
    const buf = new ArrayBuffer(Math.max(size, HEADER));
    const v = new DataView(buf);
    v.setUint8(0, kind); v.setUint32(1, stream); v.setUint32(5, seq); v.setFloat64(9, ts);
    return buf;
  }

  function unpack(buf) {
    if (!(buf instanceof ArrayBuffer) || buf.byteLength < HEADER) return null;
    const v = new DataView(buf);
    return { kind: v.getUint8(0), stream: v.getUint32(1), seq: v.getUint32(5), ts: v.getFloat64(9) };
  }

  class JitterMeter {  // RFC 3550 6.4.1 interarrival jitter, and loss, of one paced stream
    constructor() { this.received = 0; this.maxSeq = -1; this.jitterMs = 0; this.last = null; this.seen = new Set(); }
    add(seq, sentMs, arrivedMs) {
      if (this.seen.has(seq)) return;
      this.seen.add(seq);
      this.received += 1;
      this.maxSeq = Math.max(this.maxSeq, seq);
      if (this.last !== null) {
        const d = (arrivedMs - this.last[0]) - (sentMs - this.last[1]);
        this.jitterMs += (Math.abs(d) - this.jitterMs) / 16;
      }
      this.last = [arrivedMs, sentMs];
    }
  }

  function median(xs) {
    if (!xs.length) return null;
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  function percentile(xs, pct) {
    const s = [...xs].sort((a, b) => a - b);
    const rank = Math.max(1, Math.min(s.length, Math.ceil(pct / 100 * s.length)));
    return s[rank - 1];
  }

  const round = (x, n) => Math.round(x * 10 ** n) / 10 ** n;

  // --- a mailbox of JSON messages, by "type" (room) or "op" (channels) ----------------------

  class Mailbox {
    constructor(field) { this.field = field; this.items = []; this.waiters = []; }
    put(msg) {
      const i = this.waiters.findIndex((w) => w.match(msg));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(msg);
      else this.items.push(msg);
    }
    next(value, extra, timeoutMs, what, ended) {
      const match = (m) => m[this.field] === value &&
        Object.entries(extra || {}).every(([k, v]) => m[k] === v);
      const i = this.items.findIndex(match);
      if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (m) => { clearTimeout(timer); resolve(m); } };
        const timer = setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new Failure("peer_silent", phrase("browser.error.silent", { what })));
        }, timeoutMs);
        this.waiters.push(waiter);
        if (ended) ended.catch((e) => { clearTimeout(timer); reject(e); });
      });
    }
  }

  // --- the test ---------------------------------------------------------------------------

  class PeerTest {
    constructor(code, token) {
      this.code = code;
      this.token = token || null;
      this.measurements = [];
      this.room = new Mailbox("type");
      this.sync = new Mailbox("op");
      this.replies = new Map();   // req -> resolve, for our requests on cl-ctl
      this.req = 0;
      this.pings = new Map();     // seq -> send time
      this.pingSeq = 0;
      this.rtts = [];             // [send time, rtt ms]
      this.rx = [];               // [t_ms, bytes] from the therapist's rx reports
      this.stream = null;
      this.senders = [];
      this.players = [];
      this.th = { ctl: null, probe: null, bulk: null, meters: new Map(), rxBytes: 0, rxTimer: null };
      let fail;
      this.ended = new Promise((_, reject) => { fail = reject; });
      this.ended.catch(() => {});
      this.fail = (outcome, detail) => { if (!this.failure) { this.failure = new Failure(outcome, detail); fail(this.failure); } };
    }

    record(key, value, unit, samples) {
      const full = "peer.client." + key;
      this.measurements = this.measurements.filter((m) => m.key !== full);
      const m = { key: full, value, unit: unit || "" };
      if (samples) m.samples = samples;
      this.measurements.push(m);
    }

    race(promise) { return Promise.race([promise, this.ended]); }

    async run() {
      this.record("kind", "browser");
      await this.media();
      await this.join();
      await this.connect();
      await this.phases();
      await this.exchange();
    }

    // camera and microphone (fake devices in tests), sent only during the media leg
    async media() {
      step(phrase("browser.step.media"));
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        step(phrase("browser.step.no_media", { detail: "not available on this page" }), true);
        return;
      }
      try {
        this.stream = await navigator.mediaDevices.getUserMedia({
          audio: true,
          video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
        });
      } catch (e) {
        step(phrase("browser.step.no_media", { detail: e.name || String(e) }), true);
      }
    }

    async join() {
      step(phrase("browser.step.server"));
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      const ws = this.ws = new WebSocket(scheme + "//" + location.host + "/room");
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Failure("server_unreachable", phrase("browser.error.server"))), TIMEOUTS.server);
        ws.onopen = () => { clearTimeout(timer); resolve(); };
        ws.onerror = () => { clearTimeout(timer); reject(new Failure("server_unreachable", phrase("browser.error.server"))); };
      });
      ws.onmessage = (ev) => {
        let msg;
        try { msg = JSON.parse(ev.data); } catch (e) { return; }
        if (!msg || typeof msg !== "object") return;
        if (msg.type === "error") this.fail(msg.code === "expired" ? "expired" : (msg.code || "server_ended"), msg.message || msg.code);
        else if (msg.type === "peer_left") this.fail("peer_left", msg.reason || phrase("browser.error.peer_left"));
        else if (msg.type === "bye" && msg.from === undefined) this.fail("server_ended", msg.reason || "");
        else this.room.put(msg);
      };
      ws.onclose = () => this.fail("server_lost", phrase("browser.error.server_lost"));
      ws.onerror = null;
      ws.send(JSON.stringify({ type: "hello", version: 1, role: "join", code: this.code, token: this.token }));
      this.joined = await this.room.next("joined", null, TIMEOUTS.server, "answer", this.ended);
      this.pairedAt = now();
      step(phrase("browser.step.joined"));
    }

    async connect() {
      const started = now();
      const ice = Array.isArray(this.joined.ice_servers) ? this.joined.ice_servers : [];
      const pc = this.pc = new RTCPeerConnection({ iceServers: ice });
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === "failed") this.fail("connect_failed", phrase("browser.error.connect"));
      };
      // our measurer's channels, and the coordination channel
      const open = (ch) => new Promise((resolve) => { ch.binaryType = "arraybuffer"; ch.onopen = resolve; });
      this.ctl = pc.createDataChannel("cl-ctl", { ordered: true });
      this.probe = pc.createDataChannel("cl-probe", { ordered: false, maxRetransmits: 0 });
      this.bulk = pc.createDataChannel("cl-bulk", { ordered: true });
      this.syncCh = pc.createDataChannel("peer-sync", { ordered: true });
      const opened = [this.ctl, this.probe, this.bulk, this.syncCh].map(open);
      this.ctl.onmessage = (ev) => this.onCtl(ev.data);
      this.probe.onmessage = (ev) => this.onProbe(ev.data);
      this.syncCh.onmessage = (ev) => {
        try { const m = JSON.parse(ev.data); if (m && typeof m.op === "string") this.sync.put(m); } catch (e) { /* ignored */ }
      };
      for (const ch of [this.ctl, this.probe, this.bulk, this.syncCh]) {
        ch.onclose = () => this.fail("peer_left", phrase("browser.error.peer_left"));
      }
      // the therapist's channels: we answer its measurements
      pc.ondatachannel = (ev) => this.attach(ev.channel);
      // the therapist's sound is only decoded when something plays it: a silent element does
      pc.ontrack = (ev) => {
        if (ev.track.kind !== "audio") return;
        const el = document.createElement("audio");
        el.srcObject = new MediaStream([ev.track]);
        el.volume = 0;
        el.autoplay = true;
        el.play().catch(() => {});
        this.players.push(el);
      };
      // the media leg: our tracks, silent until the therapist starts it
      if (this.stream) {
        for (const track of this.stream.getTracks()) {
          const sender = pc.addTrack(track, this.stream);
          await sender.replaceTrack(null);
          this.senders.push([sender, track]);
        }
      } else {
        pc.addTransceiver("audio", { direction: "recvonly" });
        pc.addTransceiver("video", { direction: "recvonly" });
      }
      await pc.setLocalDescription(await pc.createOffer());
      // the peer gathers in full and does not trickle: neither do we
      await this.race(new Promise((resolve) => {
        if (pc.iceGatheringState === "complete") return resolve();
        const timer = setTimeout(resolve, TIMEOUTS.gather);
        pc.addEventListener("icegatheringstatechange", () => {
          if (pc.iceGatheringState === "complete") { clearTimeout(timer); resolve(); }
        });
      }));
      this.ws.send(JSON.stringify({ type: "offer", peer: "browser", sdp: pc.localDescription.sdp }));
      const answer = await this.room.next("answer", null, TIMEOUTS.connect, "answer", this.ended);
      await pc.setRemoteDescription({ type: "answer", sdp: String(answer.sdp) });
      const connected = new Promise((resolve) => {
        if (pc.connectionState === "connected") return resolve();
        pc.addEventListener("connectionstatechange", () => { if (pc.connectionState === "connected") resolve(); });
      });
      const timeout = sleep(TIMEOUTS.connect).then(() => { throw new Failure("connect_failed", phrase("browser.error.connect")); });
      await this.race(Promise.race([Promise.all([connected, ...opened]), timeout]));
      this.record("connect_s", round((now() - started) / 1000, 3), "s");
      await this.route();
      step(phrase("browser.step.connected"));
    }

    async route() {  // which path ICE chose, from the browser's own statistics
      try {
        const stats = await this.pc.getStats();
        let pair = null;
        stats.forEach((s) => {
          if (s.type === "transport" && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
        });
        if (!pair) stats.forEach((s) => { if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pair = s; });
        if (!pair) return;
        const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
        if (local) {
          this.record("candidate_type", local.candidateType);
          const transport = local.candidateType === "relay" && local.relayProtocol ? local.relayProtocol : local.protocol;
          this.record("transport", String(transport || "").toLowerCase());
        }
        if (remote) this.record("remote_candidate_type", remote.candidateType);
      } catch (e) {
        console.log("sessioncheck: no route statistics: " + e);
      }
    }

    sendFacts() {
      const host = { kind: "browser", browser: browserName() };  // not the full user agent: it identifies
      const os = (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform;
      if (os) host.os = os;
      const system = [];
      const put = (key, value, unit) => { if (value !== undefined && value !== null && value !== "") system.push({ key: "system." + key, value, unit: unit || "" }); };
      put("cpu_count", navigator.hardwareConcurrency, "count");
      if (navigator.deviceMemory) put("memory_total_mb", Math.round(navigator.deviceMemory * 1024), "MB");
      const c = navigator.connection;
      if (c) {
        if (c.type && c.type !== "unknown") {
          put("iface.browser.kind", c.type === "wimax" ? "wifi" : c.type);
          put("interfaces", "browser:" + c.type);
        }
        put("browser.effective_type", c.effectiveType);
        if (typeof c.downlink === "number") put("browser.downlink_estimate_mbps", c.downlink, "Mbps");
        if (typeof c.rtt === "number") put("browser.rtt_estimate_ms", c.rtt, "ms");
      }
      this.sendSync({ op: "facts", role: "client", host, system });
    }

    sendSync(msg) { if (this.syncCh.readyState === "open") this.syncCh.send(JSON.stringify(msg)); }

    sendCtl(msg) { if (this.ctl.readyState === "open") this.ctl.send(JSON.stringify(msg)); }

    request(msg, timeoutMs) {
      const req = ++this.req;
      return this.race(new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.replies.delete(req);
          reject(new Failure("peer_silent", phrase("browser.error.silent", { what: msg.op })));
        }, timeoutMs || 5000);
        this.replies.set(req, (m) => { clearTimeout(timer); resolve(m); });
        this.sendCtl({ ...msg, req });
      }));
    }

    onCtl(data) {
      let msg;
      try { msg = JSON.parse(data); } catch (e) { return; }
      if (msg.op === "rx") { this.rx.push([Number(msg.t_ms), Number(msg.bytes)]); return; }
      const resolve = this.replies.get(msg.req);
      if (resolve) { this.replies.delete(msg.req); resolve(msg); }
    }

    onProbe(data) {
      const p = unpack(data);
      if (!p || p.kind !== KIND_PONG) return;
      const sent = this.pings.get(p.seq);
      if (sent === undefined) return;
      this.pings.delete(p.seq);
      this.rtts.push([sent, now() - sent]);
    }

    ping() {
      if (this.probe.readyState !== "open") return;
      const seq = ++this.pingSeq, t = now();
      this.pings.set(seq, t);
      this.probe.send(pack(KIND_PING, 0, seq, t, PING_SIZE));
    }

    pingLoop(intervalMs) {
      const timer = setInterval(() => this.ping(), intervalMs);
      this.ping();
      return () => clearInterval(timer);
    }

    rttsSince(t0, t1) { return this.rtts.filter(([t]) => t >= t0 && (t1 === undefined || t < t1)).map(([, r]) => r); }

    // --- answering the therapist's measurements (its th-* channels) -----------------------

    attach(ch) {
      ch.binaryType = "arraybuffer";
      const th = this.th;
      if (ch.label === "th-ctl") {
        th.ctl = ch;
        ch.onmessage = (ev) => this.answer(ev.data);
      } else if (ch.label === "th-probe") {
        th.probe = ch;
        ch.onmessage = (ev) => {
          const arrived = now();
          const p = unpack(ev.data);
          if (!p) return;
          if (p.kind === KIND_PING) {
            const pong = ev.data.slice(0);
            new DataView(pong).setUint8(0, KIND_PONG);
            if (ch.readyState === "open") ch.send(pong);
          } else if (p.kind === KIND_PACED) {
            if (!th.meters.has(p.stream)) th.meters.set(p.stream, new JitterMeter());
            th.meters.get(p.stream).add(p.seq, p.ts, arrived);
          }
        };
      } else if (ch.label === "th-bulk") {
        th.bulk = ch;
        ch.onmessage = (ev) => { th.rxBytes += ev.data.byteLength !== undefined ? ev.data.byteLength : ev.data.length; };
      }
    }

    reply(msg) { if (this.th.ctl && this.th.ctl.readyState === "open") this.th.ctl.send(JSON.stringify(msg)); }

    answer(data) {
      let msg;
      try { msg = JSON.parse(data); } catch (e) { return; }
      const th = this.th;
      switch (msg.op) {
        case "hello": this.reply({ op: "hello", version: 1 }); break;
        case "paced_send":
          this.paced(Number(msg.stream), Math.min(Number(msg.count), 5000), Math.max(1, Number(msg.interval_ms)),
            Math.min(Number(msg.size || PACED_SIZE), 1200));
          break;
        case "paced_report": {
          const m = th.meters.get(Number(msg.stream)) || new JitterMeter();
          this.reply({ op: "paced_report", req: msg.req, received: m.received, max_seq: m.maxSeq, jitter_ms: m.jitterMs });
          break;
        }
        case "rx_start":
          clearInterval(th.rxTimer);
          th.rxTimer = setInterval(() => this.reply({ op: "rx", bytes: th.rxBytes, t_ms: now() }), RX_REPORT_MS);
          this.reply({ op: "rx", bytes: th.rxBytes, t_ms: now() });
          break;
        case "rx_stop":
          clearInterval(th.rxTimer);
          this.reply({ op: "rx", bytes: th.rxBytes, t_ms: now(), final: true });
          break;
        case "media_report":
          this.receiveStats().then((stats) => this.reply({ op: "media_report", req: msg.req, stats }));
          break;
        default:
          this.reply({ op: "error", req: msg.req, detail: "a web browser cannot answer " + JSON.stringify(msg.op) });
      }
    }

    async paced(stream, count, intervalMs, size) {
      const ch = this.th.probe;
      const start = now();
      let seq = 0;
      while (seq < count && ch && ch.readyState === "open") {
        while (seq < count && now() >= start + seq * intervalMs) {
          ch.send(pack(KIND_PACED, stream, seq, now(), size));
          seq += 1;
        }
        await sleep(Math.max(0, start + seq * intervalMs - now()));
      }
    }

    // what arrived of the therapist's sound and video (browsers give jitter in seconds)
    async receiveStats() {
      const out = {};
      const stats = await this.pc.getStats();
      stats.forEach((s) => {
        if (s.type !== "inbound-rtp" || (s.kind !== "audio" && s.kind !== "video")) return;
        const entry = {
          packets_received: s.packetsReceived || 0,
          packets_lost: Math.max(0, s.packetsLost || 0),
          jitter_ms: typeof s.jitter === "number" ? s.jitter * 1000 : null,
        };
        if (s.kind === "video") {
          entry.frames = s.framesDecoded || 0;
          entry.width = s.frameWidth || 0;
          entry.height = s.frameHeight || 0;
        } else if (typeof s.totalSamplesReceived === "number") {
          // 20 ms frames of sound that arrived (samples the browser had to invent are left out)
          const rate = s.clockRate || 48000;
          entry.frames = Math.round((s.totalSamplesReceived - (s.concealedSamples || 0)) / (rate / 50));
        }
        out[s.kind] = entry;
      });
      return out;
    }

    // --- our own measurements, conducted by the therapist over peer-sync ------------------

    next(phase, op, what) { return this.sync.next(op, { phase }, TIMEOUTS.phase, what, this.ended); }

    async phases() {
      const go = await this.next("idle", "go", "start the test");
      this.plan = { ...DEFAULT_PLAN, ...(go.plan || {}) };
      this.sendFacts();  // now the therapist's side listens on peer-sync
      await this.pingsOnly();
      await this.next("upload", "go", "finish the delay test");
      step(phrase("browser.step.upload"));
      await this.upload();
      this.sendSync({ op: "done", phase: "upload" });
      step(phrase("browser.step.therapist_upload"));
      await this.next("media", "go", "finish its upload test");
      step(phrase("browser.step.media_leg"));
      await this.mediaLeg();
      this.sendSync({ op: "done", phase: "media" });
    }

    async pingsOnly() {
      const t0 = now();
      const stop = this.pingLoop(this.plan.ping_interval_s * 1000);
      try {
        await this.next("idle", "done", "finish the delay test");
      } finally {
        stop();
      }
      await sleep(100);
      const rtts = this.rttsSince(t0);
      this.record("pings", rtts.length, "count");
      if (rtts.length) {
        this.record("rtt_ms", round(median(rtts), 2), "ms", rtts.map((r) => round(r, 3)));
        this.record("rtt_p95_ms", round(percentile(rtts, 95), 2), "ms");
      }
    }

    maxMs() {
      const rtt = median(this.rtts.map(([, r]) => r)) || 200;
      return Math.min(4000, this.plan.throughput_max_s * 1000 + 3 * rtt);
    }

    // upload: fill cl-bulk (reliable) with flow control on bufferedAmount; the therapist's
    // sessioncheck reports the bytes it received on its clock (rx); cut them into windows.
    // SCTP's congestion control paces this: a lower bound on the link's capacity.
    async upload() {
      const p = this.plan;
      this.rx = [];
      this.sendCtl({ op: "rx_start" });
      const t0 = now();
      let stopped = false;
      const bulk = this.bulk;
      const sender = (async () => {
        let high = BUFFER_MIN;
        const payloads = new Map();
        while (!stopped && bulk.readyState === "open") {
          const size = Math.min(BULK_MAX, Math.max(BULK_MIN, Math.floor(high / 4)));
          if (!payloads.has(size)) payloads.set(size, new Uint8Array(size).fill(0x5a));
          while (bulk.bufferedAmount < high) bulk.send(payloads.get(size));
          bulk.bufferedAmountLowThreshold = Math.floor(high / 2);
          const early = await Promise.race([
            new Promise((resolve) => { bulk.onbufferedamountlow = () => resolve(true); }),
            sleep(BUFFER_TARGET_MS).then(() => false),
          ]);
          bulk.onbufferedamountlow = null;
          if (bulk.bufferedAmount === 0) high = Math.min(BUFFER_MAX, high * 2);
          else if (!early) high = Math.max(BUFFER_MIN, Math.floor(high / 2));
        }
      })();
      let windows = [];
      try {
        const maxMs = this.maxMs();
        while (now() - t0 < maxMs) {
          await this.race(sleep(RX_REPORT_MS));
          if (this.rx.length < 2) continue;
          windows = cutWindows(this.rx, p.window_s * 1000);
          if (now() - t0 >= p.throughput_min_s * 1000 && plateau(windows)) break;
        }
      } finally {
        stopped = true;
        this.sendCtl({ op: "rx_stop" });
      }
      await sender;
      const tEnd = now();
      const kbps = sustainedKbps(windows);
      const rates = windows.filter(([a, b]) => b > a).map(([a, b, n]) => round(n * 8 / (b - a), 1));
      this.record("up_kbps", round(kbps, 1), "kbps", rates);
      this.record("up_test_s", round((tEnd - t0) / 1000, 2), "s");
      // No latency under load: pings would wait behind the bulk data in the browser's own
      // SCTP send queue, which is not the network's queue.
      // what is still buffered would flow into the therapist's upload: let it drain first
      const until = now() + DRAIN_MAX_MS;
      while (bulk.bufferedAmount > 0 && bulk.readyState === "open" && now() < until) await sleep(50);
      await sleep(200);
    }

    async sendStats() {
      const out = {};
      const stats = await this.pc.getStats();
      stats.forEach((s) => {
        if (s.type === "outbound-rtp" && (s.kind === "audio" || s.kind === "video")) {
          const e = out[s.kind] || (out[s.kind] = { packets_sent: 0, bytes_sent: 0 });
          e.packets_sent += s.packetsSent || 0;
          e.bytes_sent += s.bytesSent || 0;
        }
      });
      return out;
    }

    async mediaLeg() {
      const seconds = this.plan.media_s;
      const before = await this.sendStats();
      for (const [sender, track] of this.senders) {
        await sender.replaceTrack(track);
        if (track.kind === "video") {
          try {  // a call's 720p rate, as the sessioncheck peer sends
            const params = sender.getParameters();
            if (params.encodings && params.encodings.length) {
              params.encodings[0].maxBitrate = 1500000;
              await sender.setParameters(params);
            }
          } catch (e) { console.log("sessioncheck: video bitrate not set: " + e); }
        }
      }
      await this.race(sleep(seconds * 1000));
      for (const [sender] of this.senders) await sender.replaceTrack(null);
      await sleep(200);
      const after = await this.sendStats();
      const reply = await this.request({ op: "media_report" });
      const received = reply.stats && typeof reply.stats === "object" ? reply.stats : {};
      this.record("media.seconds", seconds, "s");
      for (const kind of ["audio", "video"]) {
        const a = after[kind], b = before[kind] || { packets_sent: 0, bytes_sent: 0 };
        if (a) {
          this.record(`media.${kind}_sent_kbps`, round((a.bytes_sent - b.bytes_sent) * 8 / 1000 / seconds, 1), "kbps");
          this.record(`media.${kind}_packets_sent`, a.packets_sent - b.packets_sent, "count");
        }
        const r = received[kind];
        if (!r || typeof r !== "object") continue;
        const got = Number(r.packets_received || 0), lost = Number(r.packets_lost || 0);
        this.record(`media.${kind}_packets_received`, got, "count");
        if (got + lost) this.record(`media.${kind}_loss_pct`, round(100 * lost / (got + lost), 2), "%");
        if (typeof r.jitter_ms === "number") this.record(`media.${kind}_jitter_ms`, round(r.jitter_ms, 2), "ms");
        this.record(`media.${kind}_frames`, Number(r.frames || 0), "count");
        if (kind === "video") {
          if (r.width) this.record("media.video_resolution", `${r.width}x${r.height}`);
          this.record("media.video_fps", round(Number(r.frames || 0) / seconds, 1), "fps");
        }
      }
    }

    async exchange() {
      step(phrase("browser.step.results"));
      const duration = round((now() - this.pairedAt) / 1000, 2);
      this.sendSync({ op: "results", role: "client", duration_s: duration, measurements: this.measurements });
      const verdict = await this.sync.next("verdict", null, TIMEOUTS.exchange, "send the results", this.ended);
      this.sendSync({ op: "got" });
      this.verdict = verdict;
    }

    close() {
      for (const ch of [this.ctl, this.probe, this.bulk, this.syncCh]) if (ch) ch.onclose = null;
      if (this.ws) {
        this.ws.onclose = null;
        try { if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: "bye", from: "peer" })); } catch (e) { /* closing */ }
        try { this.ws.close(); } catch (e) { /* closing */ }
      }
      clearInterval(this.th.rxTimer);
      if (this.pc) this.pc.close();
      if (this.stream) for (const t of this.stream.getTracks()) t.stop();
      for (const el of this.players) el.srcObject = null;
    }
  }

  function browserName() {  // e.g. "Chrome 126", "Firefox 128", "Safari 17"
    const ua = navigator.userAgent;
    const names = [["Edg", "Edge"], ["OPR", "Opera"], ["Firefox", "Firefox"], ["HeadlessChrome", "HeadlessChrome"], ["Chrome", "Chrome"]];
    for (const [token, name] of names) {
      const m = ua.match(new RegExp(token + "/(\\d+)"));
      if (m) return name + " " + m[1];
    }
    const safari = ua.match(/Version\/(\d+)[^ ]* .*Safari/);
    return safari ? "Safari " + safari[1] : "unknown";
  }

  // [t_ms, bytes] cumulative samples -> [start ms, end ms, bytes] windows of at least widthMs
  function cutWindows(pts, widthMs) {
    const out = [];
    let [st, sb] = pts[0];
    for (const [t, b] of pts.slice(1)) {
      if (t - st >= widthMs) { out.push([st, t, b - sb]); st = t; sb = b; }
    }
    return out;
  }

  // the best rate held over three consecutive windows (kbit/s), as sessioncheck computes it
  function sustainedKbps(windows) {
    const usable = windows.length > 3 ? windows.slice(1) : windows;
    let best = 0;
    for (let i = 0; i < Math.max(1, usable.length - 2); i++) {
      const group = usable.slice(i, i + 3);
      const span = group.reduce((s, [a, b]) => s + b - a, 0);
      if (span > 0) best = Math.max(best, group.reduce((s, w) => s + w[2], 0) * 8 / span);
    }
    return best;
  }

  function plateau(windows, growth) {
    growth = growth === undefined ? 0.05 : growth;
    if (windows.length < 6) return false;
    const rate = (ws) => {
      const span = ws.reduce((s, [a, b]) => s + b - a, 0);
      return span > 0 ? ws.reduce((s, w) => s + w[2], 0) / span : 0;
    };
    const last = windows.slice(-3);
    const mean = rate(last);
    const steady = mean > 0 && last.every(([a, b, n]) => b <= a || Math.abs(n / (b - a) - mean) <= 0.5 * mean);
    return steady && mean <= rate(windows.slice(-6, -3)) * (1 + growth);
  }

  // --- the form -----------------------------------------------------------------------------

  let running = false;

  async function start(code, token) {
    if (running) return;
    code = code.trim();
    if (!code) { step(phrase("browser.error.no_code"), true); return; }
    if (typeof RTCPeerConnection === "undefined") { step(phrase("browser.error.unsupported"), true); return; }
    running = true;
    $("start").disabled = true;
    $("code").disabled = true;
    const test = new PeerTest(code, token);
    window.sessioncheckTest = test;
    try {
      await test.run();
      step(phrase("browser.done"));
      showVerdict(String(test.verdict.text || ""), test.verdict.verdict !== "video");
      document.title = "sessioncheck: done";
    } catch (e) {
      const detail = e instanceof Failure ? e.message : (e && e.message) || String(e);
      console.log("sessioncheck: failed: " + (e && e.stack ? e.stack : detail));
      step(phrase("browser.failed", { detail }), true);
      document.title = "sessioncheck: " + (e instanceof Failure ? e.outcome : "error");
    } finally {
      test.close();
      running = false;
      $("start").disabled = false;
      $("code").disabled = false;
    }
  }

  document.title = phrase("browser.title");
  $("title").textContent = phrase("browser.title");
  $("intro").textContent = phrase("browser.intro");
  $("code-label").textContent = phrase("browser.code_label");
  $("start").textContent = phrase("browser.start");
  const params = new URLSearchParams(location.search);
  $("code").value = params.get("code") || "";
  $("form").addEventListener("submit", (ev) => { ev.preventDefault(); start($("code").value, params.get("token")); });
  if (params.get("code") && params.get("auto") === "1") start(params.get("code"), params.get("token"));
})();
