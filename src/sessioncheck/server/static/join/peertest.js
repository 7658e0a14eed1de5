// The client's side of a peer test: join the room, connect, answer the therapist's
// measurements on its channels, measure our own side on ours, exchange the results.
// (See sessioncheck/peer/session.py for the test, sessioncheck/peer/browser.py for what a
// browser cannot do, sessioncheck/rtc/measure/ for the measurements.)

import { CHANNELS, MEASURE, PROTOCOL, ROOM } from "./protocol.js";
import { JitterMeter, cutWindows, median, pack, percentile, plateau, round, sustainedKbps, unpack } from "./measure.js";
import { Failure, Mailbox, RoomSocket } from "./signalling.js";
import { phrase, step } from "./ui.js";

const CLIENT = PROTOCOL.peer.client;  // our side's role in the results
const TIMEOUTS = { server: 5000, connect: 10000, phase: 15000, exchange: 8000, gather: 5000 };

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class PeerTest {
  constructor(code, token) {
    this.code = code;
    this.token = token || null;
    this.measurements = [];
    this.room = new RoomSocket((outcome, detail) => this.fail(outcome, detail));
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
    await this.room.open(TIMEOUTS.server);
    this.room.join(this.code, this.token);
    this.joined = await this.room.next(ROOM.types.joined, TIMEOUTS.server, "answer", this.ended);
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
    this.ctl = pc.createDataChannel(CHANNELS.client.ctl, { ordered: true });
    this.probe = pc.createDataChannel(CHANNELS.client.probe, { ordered: false, maxRetransmits: 0 });
    this.bulk = pc.createDataChannel(CHANNELS.client.bulk, { ordered: true });
    this.syncCh = pc.createDataChannel(CHANNELS.sync, { ordered: true });
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
    this.room.offer(pc.localDescription.sdp);
    const answer = await this.room.next(ROOM.types.answer, TIMEOUTS.connect, "answer", this.ended);
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
    this.sendSync({ op: "facts", role: CLIENT, host, system });
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
    if (!p || p.kind !== MEASURE.kind_pong) return;
    const sent = this.pings.get(p.seq);
    if (sent === undefined) return;
    this.pings.delete(p.seq);
    this.rtts.push([sent, now() - sent]);
  }

  ping() {
    if (this.probe.readyState !== "open") return;
    const seq = ++this.pingSeq, t = now();
    this.pings.set(seq, t);
    this.probe.send(pack(MEASURE.kind_ping, 0, seq, t, MEASURE.ping_size));
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
    if (ch.label === CHANNELS.therapist.ctl) {
      th.ctl = ch;
      ch.onmessage = (ev) => this.answer(ev.data);
    } else if (ch.label === CHANNELS.therapist.probe) {
      th.probe = ch;
      ch.onmessage = (ev) => {
        const arrived = now();
        const p = unpack(ev.data);
        if (!p) return;
        if (p.kind === MEASURE.kind_ping) {
          const pong = ev.data.slice(0);
          new DataView(pong).setUint8(0, MEASURE.kind_pong);
          if (ch.readyState === "open") ch.send(pong);
        } else if (p.kind === MEASURE.kind_paced) {
          if (!th.meters.has(p.stream)) th.meters.set(p.stream, new JitterMeter());
          th.meters.get(p.stream).add(p.seq, p.ts, arrived);
        }
      };
    } else if (ch.label === CHANNELS.therapist.bulk) {
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
      case "hello": this.reply({ op: "hello", version: MEASURE.version }); break;
      case "paced_send":
        this.paced(Number(msg.stream), Math.min(Number(msg.count), 5000), Math.max(1, Number(msg.interval_ms)),
          Math.min(Number(msg.size || MEASURE.paced_size), 1200));
        break;
      case "paced_report": {
        const m = th.meters.get(Number(msg.stream)) || new JitterMeter();
        this.reply({ op: "paced_report", req: msg.req, received: m.received, max_seq: m.maxSeq, jitter_ms: m.jitterMs });
        break;
      }
      case "rx_start":
        clearInterval(th.rxTimer);
        th.rxTimer = setInterval(() => this.reply({ op: "rx", bytes: th.rxBytes, t_ms: now() }), MEASURE.rx_report_ms);
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
        ch.send(pack(MEASURE.kind_paced, stream, seq, now(), size));
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
    this.plan = { ...PROTOCOL.plan, ...(go.plan || {}) };
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
    return Math.min(MEASURE.capacity_max_ms, this.plan.throughput_max_s * 1000 + 3 * rtt);
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
      let high = MEASURE.buffer_min;
      const payloads = new Map();
      while (!stopped && bulk.readyState === "open") {
        const size = Math.min(MEASURE.bulk_max, Math.max(MEASURE.bulk_min, Math.floor(high / 4)));
        if (!payloads.has(size)) payloads.set(size, new Uint8Array(size).fill(0x5a));
        while (bulk.bufferedAmount < high) bulk.send(payloads.get(size));
        bulk.bufferedAmountLowThreshold = Math.floor(high / 2);
        const early = await Promise.race([
          new Promise((resolve) => { bulk.onbufferedamountlow = () => resolve(true); }),
          sleep(MEASURE.buffer_target_ms).then(() => false),
        ]);
        bulk.onbufferedamountlow = null;
        if (bulk.bufferedAmount === 0) high = Math.min(MEASURE.buffer_max, high * 2);
        else if (!early) high = Math.max(MEASURE.buffer_min, Math.floor(high / 2));
      }
    })();
    let windows = [];
    try {
      const maxMs = this.maxMs();
      while (now() - t0 < maxMs) {
        await this.race(sleep(MEASURE.rx_report_ms));
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
    const until = now() + MEASURE.drain_max_ms;
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
            params.encodings[0].maxBitrate = MEASURE.video_bitrate;
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
    this.sendSync({ op: "results", role: CLIENT, duration_s: duration, measurements: this.measurements });
    const verdict = await this.sync.next("verdict", null, TIMEOUTS.exchange, "send the results", this.ended);
    this.sendSync({ op: "got" });
    this.verdict = verdict;
  }

  close() {
    for (const ch of [this.ctl, this.probe, this.bulk, this.syncCh]) if (ch) ch.onclose = null;
    this.room.close();
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
