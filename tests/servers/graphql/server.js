// The GraphQL server of tests/integration/it_graphql.sh: graphql-ws 6
// (graphql-transport-ws) on ws at ws://127.0.0.1:PORT/graphql.
//   node server.js PORT    (0: a free port, printed as "listening on 127.0.0.1:N")
// Query { hello }, Mutation { post(text) } (published to messages),
// Subscription { ticks(n) (0..n-1, 100 ms apart), messages }.
'use strict';
const { WebSocketServer } = require('ws');
const { useServer } = require('graphql-ws/use/ws');
const { buildSchema } = require('graphql');

const schema = buildSchema(`
  type Message { text: String!  ts: Float! }
  type Query { hello: String! }
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
  query: { hello: () => 'world' },
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
const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/graphql' });
useServer({ schema, roots }, wss);
// The test counts the completes clients send (a run's end completes every running subscription).
wss.on('connection', (sock) => {
  sock.on('message', (data) => {
    let m = null;
    try { m = JSON.parse(String(data)); } catch (e) { return; }
    if (m && m.type === 'complete') console.log(`client complete ${m.id}`);
  });
});
wss.on('listening', () =>
  console.log(`graphql-ws listening on 127.0.0.1:${wss.address().port}/graphql`));
