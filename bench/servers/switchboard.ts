// Switchboard core under load: echo, or fan-out with broadcast() (framed once, same bytes to every socket).
import { WebSocketServer } from '@switchboard/websocket';

const fanout = process.env.MODE === 'fanout';
const server = new WebSocketServer({
  maxMessageSize: 64 * 1024 * 1024,
  perMessageDeflate: process.env.DEFLATE === '1' ? { threshold: 1024 } : false,
  handshakeTimeout: 30_000,
});
server.on('connection', (ws) => {
  if (fanout) ws.on('message', (data, isBinary) => server.broadcast(data, { binary: isBinary }));
  else ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
const { port } = await server.listen(0);
console.log(`READY ${port}`);

// Exit normally on signals so --cpu-prof can write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
