import { parseArgs } from 'node:util';
import {
  BenchAbortedError,
  CONNECTIONS_PER_SOURCE,
  benchReport,
  formatNumber as fmt,
  isLoopback,
  loopbackSources,
  pidListeningOn,
  portsPerAddress,
  runBench,
  type LoadTarget,
  type ProgressLine,
} from '@switchboard/loadtest';
import { StartupError, UsageError, integerOption } from '../usage-error.js';
import { Progress } from './progress.js';

const HELP = `Usage: switchboard bench [options]

Opens N connections, subscribes each to one of C channels, publishes B-byte
publications at R per second (or closed loop) through the HTTP API for D seconds,
and checks every delivery: order, losses, duplicates, publish→deliver latency.

Options:
  --url URL            WebSocket endpoint (default ws://127.0.0.1:8000/connection/websocket); repeat for several nodes
  --api URL            HTTP API base to publish through (default: the first --url's host)
  --api-key KEY        the server's API key (or SWITCHBOARD_API_KEY)
  --token JWT          a token for connect (anonymous when absent)
  --transport NAME     websocket (default; the only one so far)
  -n, --connections N  connections (default 1000)
  -c, --channels C     channels; connection i joins channel i mod C (default 10)
  --prefix P           channel name prefix (default "chat:", the namespace of the default serve; \
it must exist on the server)
  -r, --rate R         publications per second over all channels (default 100); 0 = closed loop:
                       one publish outstanding per channel (a channel's publishes stay in order)
  -b, --payload B      publication size in bytes (default 64)
  -d, --duration D     seconds of publishing (default 10)
  --workers W          worker processes holding the connections (default: one per 8,000 connections)
  --concurrency K      opens in flight per worker (default 200)
  --source-addresses   comma-separated local addresses, taken in turn (default on loopback past 4,000 connections: \
127.0.0.1, 127.0.0.2, …, 4,000 each)
  --server-pid PID     server process(es) whose CPU to read (default: found from /proc for a local target); repeat
  --json               print the result as JSON on stdout
  -h, --help           show this help`;

/** The demo namespace of a default `serve`, so that a bench against one works as it is. */
const DEFAULT_PREFIX = 'chat:';

export async function runBenchCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', multiple: true },
      api: { type: 'string' },
      'api-key': { type: 'string' },
      token: { type: 'string' },
      transport: { type: 'string' },
      connections: { type: 'string', short: 'n' },
      channels: { type: 'string', short: 'c' },
      prefix: { type: 'string' },
      rate: { type: 'string', short: 'r' },
      payload: { type: 'string', short: 'b' },
      duration: { type: 'string', short: 'd' },
      workers: { type: 'string' },
      concurrency: { type: 'string' },
      'source-addresses': { type: 'string' },
      'server-pid': { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return console.log(HELP);
  const urls = (values.url ?? ['ws://127.0.0.1:8000/connection/websocket']).map((u) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new UsageError(`--url must be a ws:// URL, got "${u}"`);
    }
    if (url.protocol !== 'ws:')
      throw new UsageError(`--url must be a ws:// URL (wss is not supported by bench yet), got "${u}"`);
    return url;
  });
  const transport = values.transport ?? 'websocket';
  if (transport !== 'websocket') throw new UsageError(`--transport must be websocket, got "${transport}"`);
  const apiKey = values['api-key'] ?? process.env.SWITCHBOARD_API_KEY;
  if (!apiKey) throw new UsageError('--api-key (or SWITCHBOARD_API_KEY) is needed to publish through the HTTP API');
  const connections = integerOption('connections', values.connections, 1000);
  const channels = integerOption('channels', values.channels, 10);
  if (connections < 1 || channels < 1) throw new UsageError('--connections and --channels must be at least 1');
  const targets: LoadTarget[] = urls.map((u) => ({
    host: u.hostname,
    port: Number(u.port || 80),
    path: u.pathname + u.search,
    token: values.token,
  }));
  const local = targets.every((t) => isLoopback(t.host));
  // Connections take the addresses in turn. By default, past CONNECTIONS_PER_SOURCE to a loopback target, enough
  // loopback addresses that no one of them has many ports taken (the kernel's port search slows down as they fill).
  const given = values['source-addresses']?.split(',').map((a) => a.trim());
  const ports = portsPerAddress();
  if (given && connections / given.length > ports) {
    throw new UsageError(
      `--source-addresses: ${given.length} address(es) have ${ports} ephemeral ports each, ` +
        `fewer than ${Math.ceil(connections / given.length)} connections each`,
    );
  }
  const addresses = given ?? (local && connections > CONNECTIONS_PER_SOURCE ? loopbackSources(connections) : []);
  const pids =
    values['server-pid']?.map((p) => integerOption('server-pid', p, 0)) ??
    (local ? targets.map((t) => pidListeningOn(t.port)).filter((p): p is number => p !== undefined) : []);
  const progress = new Progress(process.stderr);
  const prefix = values.prefix ?? DEFAULT_PREFIX;
  const result = await runBench({
    targets,
    api: values.api ?? `http://${urls[0].host}`,
    apiKey,
    transport,
    connections,
    channels,
    channelPrefix: prefix,
    rate: integerOption('rate', values.rate, 100),
    payloadBytes: Math.max(60, integerOption('payload', values.payload, 64)),
    seconds: Math.max(1, integerOption('duration', values.duration, 10)),
    workers: Math.max(1, integerOption('workers', values.workers, Math.ceil(connections / 8000))),
    addresses,
    concurrency: Math.max(1, integerOption('concurrency', values.concurrency, 200)),
    serverPids: [...new Set(pids)],
    onProgress: (p: ProgressLine) =>
      progress.line(
        `[${p.elapsedS.toFixed(0).padStart(3)}s] ${p.phase.padEnd(10)} open ${p.opened}/${connections} ` +
          `(${fmt(p.connectsPerS)}/s)${p.failed ? ` failed ${p.failed}` : ''}  published ${p.published}  ` +
          `deliveries ${fmt(p.deliveriesPerS)}/s`,
      ),
  }).catch((error: unknown) => {
    progress.done();
    throw error instanceof BenchAbortedError ? new StartupError(`${error.message}${hint(error, prefix)}`) : error;
  });
  progress.done();
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else console.log(benchReport(result));
  if (result.deliveries.lost > 0 || result.deliveries.duplicates > 0) process.exitCode = 1;
}

/** What to check, for the failures a first run meets. */
function hint(error: BenchAbortedError, prefix: string): string {
  if (error.code === 'reply-102')
    return ` (is --prefix ${prefix} a namespace of the server? the default serve has ${DEFAULT_PREFIX})`;
  if (error.code === 'ECONNREFUSED') return ' (is a serve listening there? see --url)';
  if (error.code === 'reply-101') return ' (pass --token with a token the server accepts)';
  return '';
}
