import { parseArgs } from 'node:util';
import { WebSocketServer, redactUrl } from '@switchboard/websocket';
import { UsageError, integerOption } from '../usage-error.js';

const HELP = `Usage: switchboard echo [options]

Echoes every message back as received: text as text, binary as binary.

Options:
  --port N            port to listen on (default 9001; 0 picks a free one)
  --host ADDR         address to bind (default 127.0.0.1)
  --max-message BYTES largest accepted message; larger closes with 1009 (default 16777216)
  --deflate           accept permessage-deflate (RFC 7692), with no context takeover
  --quiet             do not log connections
  -h, --help          show this help`;

export async function runEcho(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'max-message': { type: 'string' },
      quiet: { type: 'boolean' },
      deflate: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = integerOption('port', values.port, 9001);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const maxMessageSize = integerOption('max-message', values['max-message'], 16 * 1024 * 1024);
  if (maxMessageSize === 0) throw new UsageError('--max-message must be positive');
  const host = values.host ?? '127.0.0.1';

  const server = new WebSocketServer({
    maxMessageSize,
    maxFragments: Math.max(131072, maxMessageSize >>> 6),
    perMessageDeflate: values.deflate ?? false,
  });
  let open = 0;
  server.on('connection', (ws, request) => {
    open++;
    if (!values.quiet) console.log(`+ ${ws.remoteAddress ?? '?'} ${redactUrl(request.target)} (${open} open)`);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('close', (code, reason) => {
      open--;
      if (!values.quiet)
        console.log(`- ${ws.remoteAddress ?? '?'} closed ${code}${reason ? ` ${reason}` : ''} (${open} open)`);
    });
  });
  server.on('rejected', (error) => {
    if (!values.quiet) console.log(`! handshake refused: ${error.status} ${error.code} ${error.message}`);
  });
  const address = await server.listen(port, host);
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const deflate = values.deflate ? ', permessage-deflate on' : '';
  console.log(
    `switchboard echo listening on ws://${shown}:${address.port} (max message ${maxMessageSize} bytes${deflate})`,
  );

  const stop = () => {
    console.log('shutting down: closing connections with 1001');
    void server.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
