// A client of the example: connects with an app session token, subscribes, publishes, calls two RPCs.
// Usage: node client.mjs [token] [ws-url]
import { Client } from '@switchboard/client';
import { WebSocket } from '@switchboard/websocket';

const token = process.argv[2] ?? 'alice-session';
const url = process.argv[3] ?? 'ws://127.0.0.1:8000/connection/websocket';
const client = new Client(url, { WebSocket, token });
client.on('connected', (e) => console.log(`connected as ${e.user} (client ${e.client})`));
client.on('disconnected', (e) => {
  console.log(`disconnected ${e.code} ${e.reason}`);
  if (!e.willReconnect) process.exit(1);
});
client.connect();

/** Resolves once the subscription is live; rejects with the server's refusal. */
const ready = (sub) =>
  new Promise((resolve, reject) => {
    if (sub.state === 'subscribed') return resolve();
    sub.on('state', (e) => (e.state === 'subscribed' ? resolve() : e.error && reject(e.error)));
  });

const lobby = client.subscribe('room:lobby');
lobby.on('publication', (p) => console.log('publication', JSON.stringify(p.data)));
await ready(lobby);
console.log('subscribed to room:lobby');
await client.publish('room:lobby', { text: 'hello from the example', from: 'someone-else' });
console.log('rpc whoami ->', JSON.stringify(await client.rpc('whoami', {})));
console.log('rpc add ->', JSON.stringify(await client.rpc('add', { a: 2, b: 3 })));
try {
  await ready(client.subscribe('room:staff'));
  console.log('subscribed to room:staff');
} catch (error) {
  console.log(`room:staff refused: ${error.code} ${error.message}`);
}
await new Promise((r) => setTimeout(r, 200));
client.disconnect();
process.exit(0);
