import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { WebSocket, redactUrl, type CloseEvent } from '@switchboard/websocket';
import { StartupError, UsageError } from '../usage-error.js';

const HELP = `Usage: switchboard connect URL [options]

Interactive client: each line typed is sent as a text message. Received
messages, pings, pongs and the close code are printed.

Lines starting with "/" are commands:
  /ping [text]          send a ping
  /close [code [reason]] start the closing handshake
  /binary HEX           send a binary message given in hex

Options:
  -p, --protocol NAME   offer a subprotocol (repeatable)
  -H, --header "K: V"   add a request header (repeatable)
  --origin ORIGIN       send an Origin header
  --insecure            accept any TLS certificate (wss:// only)
  -h, --help            show this help`;

export async function runConnect(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      protocol: { type: 'string', short: 'p', multiple: true },
      header: { type: 'string', short: 'H', multiple: true },
      origin: { type: 'string' },
      insecure: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const [url] = positionals;
  if (!url) throw new UsageError('connect needs a URL, e.g. switchboard connect ws://127.0.0.1:9001');
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header must look like "Name: value", got "${h}"`);
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }

  let ws: WebSocket;
  try {
    ws = new WebSocket(url, values.protocol ?? [], {
      headers,
      origin: values.origin,
      tls: values.insecure ? { rejectUnauthorized: false } : undefined,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  ws.binaryType = 'arraybuffer';
  const rl = createInterface({ input: process.stdin, terminal: false });

  await new Promise<void>((resolve, reject) => {
    // Lines typed before the handshake completes are sent once it does.
    const early: string[] = [];
    let opened = false;
    let failure = '';
    ws.onopen = () => {
      opened = true;
      const extras = [ws.protocol && `protocol ${ws.protocol}`, ws.extensions && `extensions ${ws.extensions}`];
      console.log(
        `connected to ${redactUrl(ws.url)}${extras
          .filter(Boolean)
          .map((e) => `, ${e}`)
          .join('')}`,
      );
      for (const line of early.splice(0)) safely(ws, line);
    };
    ws.onmessage = (e: MessageEvent) => {
      if (typeof e.data === 'string') console.log(`< ${e.data}`);
      else
        console.log(
          `< [binary ${e.data.byteLength} bytes] ` + `${Buffer.from(e.data).subarray(0, 32).toString('hex')}`,
        );
    };
    ws.addEventListener('ping', (e) => console.log(`< ping ${Buffer.from((e as MessageEvent).data).toString()}`));
    ws.addEventListener('pong', (e) => console.log(`< pong ${Buffer.from((e as MessageEvent).data).toString()}`));
    ws.onerror = (e: Event & { error?: unknown }) => {
      const cause = e.error instanceof Error ? `: ${e.error.message}` : '';
      if (opened) console.log(`! error${cause}`);
      else failure = cause;
    };
    ws.onclose = (e: CloseEvent) => {
      if (!opened) {
        // Never connected (refused, no such host, handshake refused): a runtime failure, exit 1.
        rl.close();
        reject(
          new StartupError(
            `cannot connect to ${redactUrl(url)}${failure || ` (close ${e.code})`}`,
            'is the server running at that address? check the URL',
          ),
        );
        return;
      }
      console.log(`closed ${e.code}${e.reason ? ` ${e.reason}` : ''}${e.wasClean ? '' : ' (not clean)'}`);
      rl.close();
      resolve();
    };
    rl.on('line', (line) => {
      if (ws.readyState === WebSocket.CONNECTING) {
        early.push(line);
        return;
      }
      if (ws.readyState === WebSocket.OPEN) safely(ws, line);
    });
    rl.on('close', () => {
      if (ws.readyState === WebSocket.CONNECTING) ws.addEventListener('open', () => ws.close());
      else ws.close();
    });
  });
}

/** A bad command (e.g. "/close 1") is reported, never fatal. */
function safely(ws: WebSocket, line: string): void {
  try {
    runLine(ws, line);
  } catch (error) {
    console.log(`! ${(error as Error).message}`);
  }
}

function runLine(ws: WebSocket, line: string): void {
  if (!line.startsWith('/')) {
    ws.send(line);
    return;
  }
  const [command, ...args] = line.split(' ');
  if (command === '/ping') {
    ws.ping(args.join(' '));
  } else if (command === '/close') {
    ws.close(args[0] ? Number(args[0]) : undefined, args.slice(1).join(' ') || undefined);
  } else if (command === '/binary') {
    ws.send(Buffer.from(args.join(''), 'hex'));
  } else {
    console.log(`! unknown command ${command}; try /ping, /close or /binary`);
  }
}
