import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  runStorm,
  stormTable,
  waveChart,
  type StormPolicy,
  type StormResult,
  type StormTrigger,
} from '@switchboard/loadtest';
import { UsageError, integerOption } from '../usage-error.js';
import { Progress } from './progress.js';

const HELP = `Usage: switchboard storm [options]

Connects N SDK clients through a built-in load balancer (round-robin over the
nodes whose /health is 200) to channels with history, publishes through the API,
causes a mass disconnect, and records the reconnect wave: handshakes/s, 503s,
failed attempts, time to 50/99/100 % reconnected, publications lost, node CPU
and event-loop lag. Runs each --policy in turn on the same nodes.

Options:
  --node URL          a node's HTTP base (e.g. http://127.0.0.1:8000); repeat for each node
  --api-key KEY       the nodes' API key (or SWITCHBOARD_API_KEY)
  --token JWT         a token for the clients (anonymous when absent)
  -n, --clients N     SDK clients (default 1000)
  --per-worker K      clients per worker process (default 2500)
  -c, --channels C    channels, client i joins channel i mod C (default 20)
  --prefix P          channel prefix; its namespace needs history (default "storm:")
  -r, --rate R        publications per second during the storm (default 20)
  --policy P          shipped, fixed (1 s, no jitter), immediate, or all (default all)
  --drain I           the disconnect: a staggered drain of node I (0-based) through POST /api/drain (default)
  --cut               the disconnect: the built-in proxy resets every connection at once
  --kill CMD          the disconnect: run CMD (a shell command that kills a node)
  --timeout S         give up on a wave after S seconds (default 60)
  --svg FILE          write the wave chart (SVG)
  --json              print the results as JSON on stdout
  -h, --help          show this help`;

export async function runStormCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      node: { type: 'string', multiple: true },
      'api-key': { type: 'string' },
      token: { type: 'string' },
      clients: { type: 'string', short: 'n' },
      'per-worker': { type: 'string' },
      channels: { type: 'string', short: 'c' },
      prefix: { type: 'string' },
      rate: { type: 'string', short: 'r' },
      policy: { type: 'string' },
      drain: { type: 'string' },
      cut: { type: 'boolean' },
      kill: { type: 'string' },
      timeout: { type: 'string' },
      svg: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return console.log(HELP);
  const nodes = values.node ?? [];
  if (nodes.length === 0) throw new UsageError('give at least one --node http://host:port');
  for (const n of nodes)
    if (!/^http:\/\/[^/]+:\d+\/?$/.test(n)) throw new UsageError(`--node must be http://host:port, got "${n}"`);
  const apiKey = values['api-key'] ?? process.env.SWITCHBOARD_API_KEY;
  if (!apiKey) throw new UsageError('--api-key (or SWITCHBOARD_API_KEY) is needed for publishing, drains and /metrics');
  const chosen = [values.cut, values.kill !== undefined, values.drain !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('choose one of --drain, --cut, --kill');
  const trigger: StormTrigger = values.cut
    ? { kind: 'cut' }
    : values.kill !== undefined
      ? { kind: 'kill', command: values.kill }
      : { kind: 'drain', nodes: [integerOption('drain', values.drain, 0)] };
  if (trigger.kind === 'drain' && trigger.nodes[0] >= nodes.length)
    throw new UsageError(`--drain ${trigger.nodes[0]}: there are ${nodes.length} nodes`);
  const policyArg = values.policy ?? 'all';
  const policies: StormPolicy[] = policyArg === 'all' ? ['shipped', 'fixed', 'immediate'] : [policyArg as StormPolicy];
  if (!policies.every((p) => ['shipped', 'fixed', 'immediate'].includes(p)))
    throw new UsageError(`--policy must be shipped, fixed, immediate or all, got "${policyArg}"`);
  if (trigger.kind !== 'cut' && policies.length > 1)
    throw new UsageError('--drain and --kill change the nodes: run one --policy per run (or use --cut for all three)');
  const progress = new Progress(process.stderr, 2000);
  const results: StormResult[] = [];
  for (const policy of policies) {
    results.push(
      await runStorm(policy, {
        nodes: nodes.map((n) => n.replace(/\/$/, '')),
        apiKey,
        token: values.token,
        clients: Math.max(1, integerOption('clients', values.clients, 1000)),
        clientsPerWorker: Math.max(1, integerOption('per-worker', values['per-worker'], 2500)),
        channels: Math.max(1, integerOption('channels', values.channels, 20)),
        channelPrefix: values.prefix ?? 'storm:',
        publishRate: integerOption('rate', values.rate, 20),
        trigger,
        timeoutMs: Math.max(1, integerOption('timeout', values.timeout, 60)) * 1000,
        onProgress: (line) => progress.line(line),
      }),
    );
    await new Promise((r) => setTimeout(r, 2000)); // the nodes' accept buckets refill between runs
  }
  progress.done();
  if (values.svg)
    writeFileSync(
      values.svg,
      waveChart(results, `Reconnect wave: ${results[0].clients} clients, ${nodes.length} node(s), ${trigger.kind}`),
    );
  if (values.json) console.log(JSON.stringify(results, null, 2));
  else console.log(stormTable(results));
  if (results.some((r) => r.lost > 0 || r.duplicates > 0)) process.exitCode = 1;
}
