// The permessage-deflate server of tests/integration/it_deflate.sh, on the
// `ws` package of this directory (perMessageDeflate on, or off with
// --no-deflate):
//   node deflate.js PORT [--no-deflate]   (0: a free port, printed as
//   "listening on 127.0.0.1:N")
// Every connection first gets {"type":"hello","offered":...,"accepted":...}:
// the client's Sec-WebSocket-Extensions header and what was agreed. Then a
// quote {"type":"quote",...,"ts"} every 20 ms. A text message is echoed as
// {"type":"echo","data":TEXT}; the text "corrupt" is answered with a frame
// marked compressed (RSV1) whose payload is not deflate data.
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 0);
const deflate = !process.argv.includes('--no-deflate');
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  perMessageDeflate: deflate ? { threshold: 0 } : false,
});

// the response's Sec-WebSocket-Extensions, with the agreed parameters
wss.on('headers', (headers, req) => {
  const line = headers.find((h) => /^sec-websocket-extensions:/i.test(h));
  req.acceptedExtensions = line ? line.replace(/^[^:]*:\s*/, '') : '';
});

wss.on('connection', (ws, req) => {
  ws.send(JSON.stringify({
    type: 'hello',
    offered: req.headers['sec-websocket-extensions'] || '',
    accepted: req.acceptedExtensions || '',
  }));
  let seq = 0;
  const timer = setInterval(() => {
    seq++;
    ws.send(JSON.stringify({
      type: 'quote', stream: 'quotes.NASDAQ:AAPL', symbol: 'NASDAQ:AAPL', seq,
      bid: 189.25 + (seq % 7) / 100, ask: 189.27 + (seq % 7) / 100, last: 189.26, ts: Date.now(),
    }));
  }, 20);
  ws.on('message', (data) => {
    const text = data.toString();
    if (text === 'corrupt') {
      // FIN + RSV1 + text, 4 bytes that do not inflate
      ws._socket.write(Buffer.from([0xc1, 0x04, 0xde, 0xad, 0xbe, 0xef]));
      return;
    }
    ws.send(JSON.stringify({ type: 'echo', data: text }));
  });
  ws.on('close', () => clearInterval(timer));
  ws.on('error', () => clearInterval(timer));
});

wss.on('listening', () => {
  console.log(`listening on 127.0.0.1:${wss.address().port}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
