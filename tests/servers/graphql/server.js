// The GraphQL server of tests/integration/it_graphql.sh: graphql-ws 6
// (graphql-transport-ws) at ws://127.0.0.1:PORT/graphql and
// subscriptions-transport-ws 0.11 (Apollo's graphql-ws) at /apollo.
//   node server.js PORT    (0: a free port, printed as "listening on 127.0.0.1:N")
// Query { hello, boom (its resolver throws: a next with errors) },
// Mutation { post(text) } (published to messages),
// Subscription { ticks(n) (0..n-1, 100 ms apart), messages }.
'use strict';
const { WebSocketServer } = require('ws');
const { useServer } = require('graphql-ws/use/ws');
const { createServer } = require('http');
const { buildSchema, execute, subscribe } = require('graphql');
const { SubscriptionServer } = require('subscriptions-transport-ws');

const schema = buildSchema(`
  type Message { text: String!  ts: Float! }
  type Query { hello: String!  boom: String! }
  type Mutation { post(text: String!): Message! }
  type Subscription { ticks(n: Int): Int!  messages: Message! }
`);

// Every messages subscriber's queue: post() pushes to each.
const listeners = new Set();

function messagesIterator() {
  const queue = [];
  let wake = null;
  const push = (m) => {
    queue.push(m);
    if (wake) { wake(); wake = null; }
  };
  listeners.add(push);
  return {
    [Symbol.asyncIterator]() { return this; },
    async next() {
      while (!queue.length) await new Promise((r) => { wake = r; });
      return { value: { messages: queue.shift() }, done: false };
    },
    async return() {
      listeners.delete(push);
      if (wake) wake();
      return { value: undefined, done: true };
    },
  };
}

async function* ticks({ n }) {
  const count = n === undefined || n === null ? 10 : n;
  for (let i = 0; i < count; i++) {
    await new Promise((r) => setTimeout(r, 100));
    yield { ticks: i };
  }
}

const roots = {
  query: {
    hello: () => 'world',
    boom: () => {
      throw new Error('boom: the resolver failed');
    },
  },
  mutation: {
    post: ({ text }) => {
      const m = { text, ts: Date.now() };
      for (const push of listeners) push(m);
      return m;
    },
  },
  subscription: { ticks, messages: () => messagesIterator() },
};

const port = Number(process.argv[2] || process.env.PORT || 4000);
// One HTTP server, the upgrade routed by path: /graphql to graphql-ws
// (graphql-transport-ws), /apollo to subscriptions-transport-ws (Apollo's
// older graphql-ws subprotocol, keep-alive ka every second).
const http = createServer((req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ noServer: true });
useServer({ schema, roots }, wss);
const apollo = new WebSocketServer({ noServer: true });
SubscriptionServer.create(
  { schema, execute, subscribe, keepAlive: 1000,
    rootValue: { ...roots.query, ...roots.mutation, ...roots.subscription } },
  apollo);
http.on('upgrade', (req, socket, head) => {
  const path = new URL(req.url, 'http://x').pathname;
  const to = path === '/graphql' ? wss : path === '/apollo' ? apollo : null;
  if (!to) return socket.destroy();
  to.handleUpgrade(req, socket, head, (ws) => to.emit('connection', ws, req));
});
// The test counts the completes (and Apollo stops) clients send: a run's end
// ends every running subscription.
for (const server of [wss, apollo]) {
  server.on('connection', (sock) => {
    sock.on('message', (data) => {
      let m = null;
      try { m = JSON.parse(String(data)); } catch (e) { return; }
      if (m && (m.type === 'complete' || m.type === 'stop')) console.log(`client ${m.type} ${m.id}`);
    });
  });
}
http.listen(port, '127.0.0.1', () =>
  console.log(`graphql-ws listening on 127.0.0.1:${http.address().port}/graphql and /apollo`));
