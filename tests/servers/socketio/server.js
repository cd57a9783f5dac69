// The Socket.IO server of the integration tests (socket.io 4.8, namespace "/"):
// every socket joins room "lobby"; "chat" (with an ack) is acked {ok: true, ts}
// (ts: this server's ms clock) and emitted to the rest of the room as
// {from, msg, ts}; "tick" {n, ts} goes to every client every 500 ms. A
// middleware refuses a handshake whose auth.token is not --token (44
// "invalid token"); without a token a client is let in.
//   node server.js [--port N] [--ping-interval MS] [--ping-timeout MS]
//                  [--token T] [--no-ping]
// --no-ping: the open packet announces the intervals, but no ping follows
// (a server the client must see as dead). Prints "listening on
// 127.0.0.1:PORT" once it accepts connections; loopback only. On SIGTERM
// it prints why each socket went away ("disconnects {reason: count}") and
// exits.
"use strict";
const http = require("http");
const { Server } = require("socket.io");

function args(argv) {
  const o = { port: 0, pingInterval: 25000, pingTimeout: 20000, token: "letmein", noPing: false };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--no-ping") o.noPing = true;
    else if (a === "--port") o.port = Number(argv[++i]);
    else if (a === "--ping-interval") o.pingInterval = Number(argv[++i]);
    else if (a === "--ping-timeout") o.pingTimeout = Number(argv[++i]);
    else if (a === "--token") o.token = argv[++i];
    else {
      console.error(`server.js: unknown argument ${a}`);
      process.exit(2);
    }
  }
  return o;
}

const opt = args(process.argv);
const httpServer = http.createServer();
const io = new Server(httpServer, {
  pingInterval: opt.pingInterval,
  pingTimeout: opt.pingTimeout,
  transports: ["websocket", "polling"],
});

if (opt.noPing)
  io.engine.on("connection", (s) => {
    clearTimeout(s.pingIntervalTimer);
    s.schedulePing = () => {};
  });

io.use((socket, next) => {
  const t = socket.handshake.auth && socket.handshake.auth.token;
  if (t !== undefined && t !== opt.token) return next(new Error("invalid token"));
  next();
});

const reasons = {};
io.on("connection", (socket) => {
  socket.join("lobby");
  socket.on("disconnect", (reason) => (reasons[reason] = (reasons[reason] || 0) + 1));
  socket.on("chat", (msg, ack) => {
    const ts = Date.now();
    socket.to("lobby").emit("chat", { from: msg && msg.from, msg: msg && msg.msg, ts });
    if (typeof ack === "function") ack({ ok: true, ts });
  });
});

let n = 0;
setInterval(() => io.emit("tick", { n: n++, ts: Date.now() }), 500);

httpServer.listen(opt.port, "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${httpServer.address().port}`);
});
for (const sig of ["SIGTERM", "SIGINT"])
  process.on(sig, () => {
    console.log(`disconnects ${JSON.stringify(reasons)}`);
    process.exit(0);
  });
