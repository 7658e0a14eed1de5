// Signalling with the server's room (sessioncheck/server/rooms.py), and the mailboxes the
// test reads its JSON messages from.

import { ROOM } from "./protocol.js";
import { phrase } from "./ui.js";

const TYPES = ROOM.types;

export class Failure extends Error {
  constructor(outcome, detail) { super(detail); this.outcome = outcome; }
}

// a mailbox of JSON messages, by "type" (room) or "op" (channels)
export class Mailbox {
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

// the WebSocket to /room; `fail(outcome, detail)` hears how the room ended
export class RoomSocket {
  constructor(fail) { this.fail = fail; this.inbox = new Mailbox("type"); this.ws = null; }

  async open(timeoutMs) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = this.ws = new WebSocket(scheme + "//" + location.host + "/room");
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Failure("server_unreachable", phrase("browser.error.server"))), timeoutMs);
      ws.onopen = () => { clearTimeout(timer); resolve(); };
      ws.onerror = () => { clearTimeout(timer); reject(new Failure("server_unreachable", phrase("browser.error.server"))); };
    });
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (!msg || typeof msg !== "object") return;
      if (msg.type === TYPES.error) this.fail(msg.code === ROOM.errors.expired ? "expired" : (msg.code || "server_ended"), msg.message || msg.code);
      else if (msg.type === TYPES.peer_left) this.fail("peer_left", msg.reason || phrase("browser.error.peer_left"));
      else if (msg.type === TYPES.bye && msg.from === undefined) this.fail("server_ended", msg.reason || "");
      else this.inbox.put(msg);
    };
    ws.onclose = () => this.fail("server_lost", phrase("browser.error.server_lost"));
    ws.onerror = null;
  }

  send(msg) { this.ws.send(JSON.stringify(msg)); }

  join(code, token) {
    this.send({ type: TYPES.hello, version: ROOM.version, role: ROOM.roles.join, code, token });
  }

  offer(sdp) { this.send({ type: TYPES.offer, [ROOM.offer_kind_field]: ROOM.browser, sdp }); }

  next(type, timeoutMs, what, ended) { return this.inbox.next(type, null, timeoutMs, what, ended); }

  close() {
    if (!this.ws) return;
    this.ws.onclose = null;
    try { if (this.ws.readyState === WebSocket.OPEN) this.send({ type: TYPES.bye, from: ROOM.from_peer }); } catch (e) { /* closing */ }
    try { this.ws.close(); } catch (e) { /* closing */ }
  }
}
