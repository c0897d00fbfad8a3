// uWebSockets.js under load, from the npm package `uwebsockets` (an unofficial republish of the
// uWS.js binaries) when it is installed: echo, or fan-out with its native topic publish.
import { createRequire } from 'node:module';

const uWS = createRequire(import.meta.url)('uwebsockets');
const fanout = process.env.MODE === 'fanout';
const app = uWS.App();
app.ws('/*', {
  compression: process.env.DEFLATE === '1' ? uWS.SHARED_COMPRESSOR : uWS.DISABLED,
  maxPayloadLength: 64 * 1024 * 1024,
  maxBackpressure: 64 * 1024 * 1024, // the default (64 KiB) would silently drop messages
  idleTimeout: 0,
  open: (ws: { subscribe(topic: string): void }) => fanout && ws.subscribe('all'),
  message: (
    ws: { send(m: ArrayBuffer, binary: boolean, compress: boolean): void },
    message: ArrayBuffer,
    isBinary: boolean,
  ) => {
    if (fanout) app.publish('all', message, isBinary);
    else ws.send(message, isBinary, true);
  },
});
app.listen('127.0.0.1', 0, (token: unknown) => console.log(`READY ${uWS.us_socket_local_port(token)}`));

// Exit normally on signals so --cpu-prof can write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
