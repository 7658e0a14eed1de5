// The measurement protocol's packets (sessioncheck/rtc/measure/) and the arithmetic on
// what arrived: RFC 3550 jitter, medians, throughput windows.

import { MEASURE } from "./protocol.js";

// binary packets: "!BIId" = kind, stream id, sequence number, send time (ms)
export function pack(kind, stream, seq, ts, size) {
  const buf = new ArrayBuffer(Math.max(size, MEASURE.header_bytes));
  const v = new DataView(buf);
  v.setUint8(0, kind); v.setUint32(1, stream); v.setUint32(5, seq); v.setFloat64(9, ts);
  return buf;
}

export function unpack(buf) {
  if (!(buf instanceof ArrayBuffer) || buf.byteLength < MEASURE.header_bytes) return null;
  const v = new DataView(buf);
  return { kind: v.getUint8(0), stream: v.getUint32(1), seq: v.getUint32(5), ts: v.getFloat64(9) };
}

export class JitterMeter {  // RFC 3550 6.4.1 interarrival jitter, and loss, of one paced stream
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

export function median(xs) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function percentile(xs, pct) {
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.min(s.length, Math.ceil(pct / 100 * s.length)));
  return s[rank - 1];
}

export const round = (x, n) => Math.round(x * 10 ** n) / 10 ** n;

// [t_ms, bytes] cumulative samples -> [start ms, end ms, bytes] windows of at least widthMs
export function cutWindows(pts, widthMs) {
  const out = [];
  let [st, sb] = pts[0];
  for (const [t, b] of pts.slice(1)) {
    if (t - st >= widthMs) { out.push([st, t, b - sb]); st = t; sb = b; }
  }
  return out;
}

// the best rate held over three consecutive windows (kbit/s), as sessioncheck computes it
export function sustainedKbps(windows) {
  const usable = windows.length > 3 ? windows.slice(1) : windows;
  let best = 0;
  for (let i = 0; i < Math.max(1, usable.length - 2); i++) {
    const group = usable.slice(i, i + 3);
    const span = group.reduce((s, [a, b]) => s + b - a, 0);
    if (span > 0) best = Math.max(best, group.reduce((s, w) => s + w[2], 0) * 8 / span);
  }
  return best;
}

export function plateau(windows, growth) {
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
