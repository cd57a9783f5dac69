#!/usr/bin/env node
// A second target server for the integration tests, written independently
// of `wsgate serve` on Node.js's own HTTP server and the `ws` package
// (Debian's node-ws): the same JSON messages the specs in specs/ use, so
// `wsgate run SPEC --target ws://127.0.0.1:PORT` must behave the same
// against it. It is deliberately small and plain, not a copy of serve*.c.
//
//   node ws_peer.js PORT [LIFETIME_S]
//
// Listens on 127.0.0.1 only (PORT 0 picks one), prints
// "ws_peer: listening on 127.0.0.1:PORT" and exits by itself after
// LIFETIME_S seconds (default 120, at most 600) or on SIGTERM/SIGINT.
//
// Paths (see src/serve/serve.h for the reference shapes):
//   POST /api/auth/login, /api/v1/auth/login  {email|username, password}
//        -> 200 {"access_token":T,"token_type":"bearer"}
//   /ws/chat?token=..            subscribe / unsubscribe / publish / ping;
//                                subprotocol "chat.v1" when offered, any
//                                other offer is accepted without one (RFC 6455)
//   /ws/notifications, /v1/realtime/notifications  Bearer token from the login;
//                                subscribe / ping; one event per second
//   /ws/quotes                   subscribe (snapshot) then 10 quotes per second
//   /ws/collaboration?session=.. join_document / apply_operation /
//                                resume_session / leave_document
'use strict';

const http = require('http');
const crypto = require('crypto');
const { performance } = require('perf_hooks');

// `ws` from NODE_PATH or node_modules, else where Debian's node-ws puts it
// (Debian's own nodejs searches there, another build may not).
function wsDir() {
  try {
    return require('path').dirname(require.resolve('ws/package.json'));
  } catch (e) {
    return '/usr/share/nodejs/ws';
  }
}
const WebSocket = require(wsDir());
const wsVersion = require(wsDir() + '/package.json').version;

const port = Number(process.argv[2] || 0);
const lifetime = Math.min(Number(process.argv[3] || 120), 600);
if (!Number.isInteger(port) || port < 0 || port > 65535 || !(lifetime > 0)) {
  process.stderr.write('usage: ws_peer.js PORT [LIFETIME_S]\n');
  process.exit(2);
}

const PUSH_INTERVAL_MS = 1000;
const QUOTE_INTERVAL_MS = 100;
const HISTORY = 64;

// Wall clock in whole microseconds since the epoch.
function nowUs() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
function stamp(o) {
  const us = nowUs();
  o.ts = Math.floor(us / 1000);
  o.ts_us = us;
  return o;
}

// ---- login -----------------------------------------------------------------

const tokens = new Set();

function json(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function onHttp(req, res) {
  const path = req.url.split('?')[0];
  if (path !== '/api/auth/login' && path !== '/api/v1/auth/login') return json(res, 404, { error: 'not found' });
  if (req.method !== 'POST') return json(res, 405, { error: 'use POST' });
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => {
    body += d;
    if (body.length > 65536) req.destroy();
  });
  req.on('end', () => {
    let o = null;
    try {
      o = JSON.parse(body);
    } catch (e) {
      /* answered below */
    }
    if (!o || typeof o !== 'object' || !(o.email || o.username) || !o.password) {
      return json(res, 400, { error: 'email (or username) and password required' });
    }
    const tok = 'peer-' + crypto.randomBytes(16).toString('hex');
    tokens.add(tok);
    json(res, 200, { access_token: tok, token_type: 'bearer' });
  });
}

// ---- shared helpers --------------------------------------------------------

function send(ws, o) {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(o));
}
function error(ws, reason) {
  send(ws, { type: 'error', reason });
}
function validList(l) {
  return Array.isArray(l) && l.length > 0 && l.every((s) => typeof s === 'string' && s.length > 0);
}
// Adds the names to ws.subs (no duplicates) and starts the periodic tick.
function subscribe(ws, list, everyMs, tick) {
  for (const s of list) if (!ws.subs.includes(s)) ws.subs.push(s);
  if (!ws.timer) ws.timer = setInterval(() => tick(ws), everyMs);
}
function nextSub(ws) {
  if (ws.subs.length === 0) return null;
  return ws.subs[ws.next++ % ws.subs.length];
}

// ---- chat --------------------------------------------------------------------

const channels = new Map(); // channel -> Set of ws

function chat(ws, m) {
  if (typeof m.action !== 'string' || !m.action) return error(ws, 'missing action');
  if (m.action === 'ping') return send(ws, { type: 'pong' });
  if (!['subscribe', 'unsubscribe', 'publish'].includes(m.action)) return error(ws, 'unknown action');
  const ch = m.channel;
  if (typeof ch !== 'string' || !ch) return error(ws, 'missing channel');
  if (m.action === 'subscribe') {
    if (!channels.has(ch)) channels.set(ch, new Set());
    channels.get(ch).add(ws);
    ws.rooms.add(ch);
    return send(ws, { type: 'subscription_confirmed', channel: ch });
  }
  if (m.action === 'unsubscribe') {
    leave(ws, ch);
    return send(ws, { type: 'unsubscribed', channel: ch });
  }
  if (m.message === undefined) return error(ws, 'missing message');
  const text = JSON.stringify({ type: 'message', channel: ch, message: m.message });
  for (const other of channels.get(ch) || []) if (other !== ws && other.readyState === WebSocket.OPEN) other.send(text);
  const ack = { type: 'message_ack' };
  if (m.message && m.message.id !== undefined) ack.id = m.message.id;
  ack.channel = ch;
  send(ws, ack);
}

function leave(ws, ch) {
  const set = channels.get(ch);
  if (set) {
    set.delete(ws);
    if (set.size === 0) channels.delete(ch);
  }
  ws.rooms.delete(ch);
}

// ---- notifications -------------------------------------------------------------

function eventType(topic) {
  if (topic.endsWith('.orders')) return 'order_update';
  if (topic.endsWith('.billing')) return 'invoice_ready';
  return 'notification';
}

function notifyTick(ws) {
  const topic = nextSub(ws);
  if (topic) send(ws, stamp({ type: eventType(topic), topic, id: ++ws.seq }));
}

function notify(ws, m) {
  if (typeof m.type !== 'string' || !m.type) return error(ws, 'missing type');
  if (m.type === 'ping') {
    const o = { type: 'pong' };
    if (m.ts !== undefined) o.ts = m.ts;
    o.server_ts_us = nowUs();
    return send(ws, o);
  }
  if (m.type !== 'subscribe' && m.type !== 'unsubscribe') return error(ws, 'unknown type');
  if (!validList(m.topics)) return error(ws, 'topics must be a non-empty array of strings');
  if (m.type === 'unsubscribe') {
    ws.subs = ws.subs.filter((t) => !m.topics.includes(t));
    return send(ws, { type: 'unsubscribed', topics: m.topics });
  }
  send(ws, { type: 'subscribed', topics: m.topics });
  subscribe(ws, m.topics, PUSH_INTERVAL_MS, notifyTick);
}

// ---- market data ------------------------------------------------------------------

function prices(stream) {
  const symbol = stream.startsWith('quotes.') && stream.length > 7 ? stream.slice(7) : stream;
  let h = 0;
  for (const ch of symbol) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const last = Math.round((50 + (h % 40000) / 100 + (Math.random() - 0.5)) * 100) / 100;
  return { stream, symbol, bid: Math.round((last - 0.01) * 100) / 100, ask: Math.round((last + 0.01) * 100) / 100, last };
}

function quoteTick(ws) {
  const stream = nextSub(ws);
  if (!stream) return;
  const q = prices(stream);
  send(ws, stamp({ type: 'quote', stream: q.stream, symbol: q.symbol, seq: ++ws.seq, bid: q.bid, ask: q.ask, last: q.last }));
}

function quotes(ws, m) {
  if (typeof m.op !== 'string' || !m.op) return error(ws, 'missing op');
  if (m.op !== 'subscribe' && m.op !== 'unsubscribe') return error(ws, 'unknown op');
  if (!validList(m.streams)) return error(ws, 'streams must be a non-empty array of strings');
  if (m.op === 'unsubscribe') {
    ws.subs = ws.subs.filter((s) => !m.streams.includes(s));
    return send(ws, { op: 'unsubscribed', streams: m.streams });
  }
  send(ws, { op: 'subscribed', streams: m.streams });
  if (m.snapshot !== false) send(ws, stamp({ type: 'snapshot', quotes: m.streams.map(prices) }));
  subscribe(ws, m.streams, QUOTE_INTERVAL_MS, quoteTick);
}

// ---- collaboration --------------------------------------------------------------

const docs = new Map(); // id -> {seq, members: Set, hist: [text...]}

function doc(id) {
  if (!docs.has(id)) docs.set(id, { seq: 0, members: new Set(), hist: [] });
  return docs.get(id);
}

function collab(ws, m) {
  if (typeof m.action !== 'string' || !m.action) return error(ws, 'missing action');
  const actions = ['join_document', 'apply_operation', 'resume_session', 'leave_document'];
  if (!actions.includes(m.action)) return error(ws, 'unknown action');
  const id = m.documentId;
  if (typeof id !== 'string' || !id) return error(ws, 'missing documentId');
  const d = doc(id);
  if (m.action === 'join_document' || m.action === 'resume_session') {
    d.members.add(ws);
    ws.rooms.add(id);
  }
  if (m.action === 'join_document') {
    return send(ws, { type: 'document_joined', documentId: id, sequence: d.seq, participants: d.members.size });
  }
  if (m.action === 'leave_document') {
    d.members.delete(ws);
    ws.rooms.delete(id);
    return send(ws, { type: 'document_left', documentId: id });
  }
  if (m.action === 'resume_session') {
    const last = typeof m.lastSequence === 'number' && m.lastSequence > 0 ? Math.floor(m.lastSequence) : 0;
    const oldest = Math.max(1, d.seq - HISTORY + 1);
    const missed = d.hist.filter((h) => h.sequence > last).map((h) => JSON.parse(h.text));
    return send(ws, { type: 'session_resumed', documentId: id, sequence: d.seq, lastSequence: last, missed, complete: last + 1 >= oldest });
  }
  if (m.operation === undefined) return error(ws, 'missing operation');
  if (!d.members.has(ws)) return error(ws, 'join the document first');
  const seq = ++d.seq;
  const text = JSON.stringify(stamp({ type: 'operation', documentId: id, sequence: seq, operation: m.operation }));
  d.hist.push({ sequence: seq, text });
  if (d.hist.length > HISTORY) d.hist.shift();
  for (const other of d.members) if (other !== ws && other.readyState === WebSocket.OPEN) other.send(text);
  const o = { type: 'operation_applied', documentId: id, sequence: seq };
  if (m.clientTimestamp !== undefined) o.clientTimestamp = m.clientTimestamp;
  send(ws, o);
}

// ---- upgrades ------------------------------------------------------------------

function bearer(req) {
  const h = req.headers.authorization || '';
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m !== null && tokens.has(m[1]);
}

const routes = {
  '/ws/chat': { handler: chat, ok: (req, q) => !!q.get('token') },
  '/ws/notifications': { handler: notify, ok: bearer },
  '/v1/realtime/notifications': { handler: notify, ok: bearer },
  '/ws/quotes': { handler: quotes, ok: () => true },
  '/ws/collaboration': { handler: collab, ok: (req, q) => !!q.get('session') },
};

const wss = new WebSocket.Server({
  noServer: true,
  maxPayload: 1 << 20,
  // ws 8: a Set of the offered names; false accepts with no subprotocol
  handleProtocols: (offered, req) => (req.url.startsWith('/ws/chat') && offered.has('chat.v1') ? 'chat.v1' : false),
});

function refuseUpgrade(socket, status, text) {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

function onUpgrade(req, socket, head) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const route = routes[url.pathname];
  if (!route) return refuseUpgrade(socket, 404, 'Not Found');
  if (!route.ok(req, url.searchParams)) return refuseUpgrade(socket, 401, 'Unauthorized');
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.subs = [];
    ws.next = 0;
    ws.seq = 0;
    ws.rooms = new Set();
    ws.on('message', (data, isBinary) => {
      let m;
      try {
        m = JSON.parse(data.toString('utf8'));
      } catch (e) {
        return error(ws, 'invalid JSON');
      }
      if (isBinary || m === null || typeof m !== 'object' || Array.isArray(m)) return error(ws, 'expected a JSON object');
      route.handler(ws, m);
    });
    ws.on('close', () => {
      clearInterval(ws.timer);
      for (const r of ws.rooms) {
        leave(ws, r);
        if (docs.has(r)) docs.get(r).members.delete(ws);
      }
    });
    ws.on('error', () => {});
  });
}

const server = http.createServer(onHttp);
server.on('upgrade', onUpgrade);
server.on('clientError', (err, socket) => socket.destroy());
server.listen(port, '127.0.0.1', () => {
  console.log(`ws_peer: listening on 127.0.0.1:${server.address().port} (ws ${wsVersion})`);
});

function stop() {
  for (const ws of wss.clients) ws.terminate();
  server.close();
  process.exit(0);
}
setTimeout(stop, lifetime * 1000).unref();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
