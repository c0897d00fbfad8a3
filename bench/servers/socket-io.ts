// Socket.IO under load, WebSocket transport only: echo events, or fan-out to a room.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const fanout = process.env.MODE === 'fanout';
const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  maxHttpBufferSize: 64 * 1024 * 1024,
  perMessageDeflate: process.env.DEFLATE === '1' ? { threshold: 1024 } : false,
});
io.on('connection', (socket) => {
  if (fanout) {
    socket.join('room');
    socket.on('m', (data) => io.to('room').emit('m', data));
  } else {
    socket.on('e', (data) => socket.emit('e', data));
  }
});
http.listen(0, '127.0.0.1', () => console.log(`READY ${(http.address() as { port: number }).port}`));

// Exit normally on signals so --cpu-prof can write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
