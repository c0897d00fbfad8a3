// `ws` under load, written the way its README recommends: echo, or fan-out by iterating wss.clients.
import { WebSocketServer } from 'ws';

const fanout = process.env.MODE === 'fanout';
const wss = new WebSocketServer({
  port: 0,
  host: '127.0.0.1',
  maxPayload: 64 * 1024 * 1024,
  perMessageDeflate: process.env.DEFLATE === '1' ? { threshold: 1024 } : false,
});
wss.on('connection', (ws) => {
  if (fanout) ws.on('message', (data, isBinary) => wss.clients.forEach((c) => c.send(data, { binary: isBinary })));
  else ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log(`READY ${(wss.address() as { port: number }).port}`));

// Exit normally on signals so --cpu-prof can write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
