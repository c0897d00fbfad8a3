import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  fleetReport,
  measureCosts,
  pidListeningOn,
  planFleet,
  type CostModel,
  type FleetTarget,
} from '@switchboard/loadtest';
import { signToken } from '@switchboard/server';
import { UsageError, integerOption } from '../usage-error.js';

const HELP = `Usage: switchboard size [options]

Computes a fleet for a target from unit costs, prints every ceiling and which binds.
The costs come from --measure (a calibration against a local serve), --costs FILE
(a saved JSON), or the flags below.

Calibration:
  --measure            measure against --url (a local serve: its pid is found from /proc)
  --url URL            ws://127.0.0.1:PORT/connection/websocket (default port 8000)
  --api-key KEY        the server's API key (or SWITCHBOARD_API_KEY)
  --jwt-secret S       also measure JWT handshakes (the server's SWITCHBOARD_JWT_SECRET; one fresh token per ' +
    'connection)'
  --prefix P           channel prefix, a namespace without history (default "bench:")
  --measure-connections N   connections per step (default 5000)
  --save FILE          write the measured costs as JSON
  --costs FILE         read costs from a saved JSON
  --conn-bytes B --kernel-bytes B --sub-bytes B --handshake-us U --delivery-us U --publish-us U   costs as flags

Target (defaults in brackets):
  --connections N [1000000]  --subs S [5]  --publish-rate R [10000]  --fanout F [100]  --payload B [256]
  --auth plain|jwt|tls [plain]  --cores C [8]  --memory-gb G [32]  --surge PCT [50]  --surge-seconds S [30]
  --fd-limit N [1048576]  --ports N [64511]  --lb-addresses N [1]  --nic-gbps G [10]  --broker-rate R [60000]
  --utilisation PCT [70]  --spare N [1] (nodes beyond the ceilings, so one can be drained or lost)
  --json               print costs and plan as JSON
  -h, --help`;

const num = (v: string | undefined, name: string, fallback: number) => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, got "${v}"`);
  return n;
};

export async function runSizeCommand(argv: string[]): Promise<void> {
  const names = [
    'url',
    'api-key',
    'jwt-secret',
    'prefix',
    'measure-connections',
    'save',
    'costs',
    'conn-bytes',
    'kernel-bytes',
    'sub-bytes',
    'handshake-us',
    'delivery-us',
    'publish-us',
    'connections',
    'subs',
    'publish-rate',
    'fanout',
    'payload',
    'auth',
    'cores',
    'memory-gb',
    'surge',
    'surge-seconds',
    'fd-limit',
    'ports',
    'lb-addresses',
    'nic-gbps',
    'broker-rate',
    'utilisation',
    'spare',
  ];
  const { values: v } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])),
      measure: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const s = v as Record<string, string | undefined>;
  if (v.help) return console.log(HELP);
  let costs: CostModel;
  if (v.measure) {
    const url = new URL(s.url ?? 'ws://127.0.0.1:8000/connection/websocket');
    const apiKey = s['api-key'] ?? process.env.SWITCHBOARD_API_KEY;
    if (!apiKey) throw new UsageError('--measure needs --api-key (or SWITCHBOARD_API_KEY)');
    const pid = pidListeningOn(Number(url.port));
    if (pid === undefined)
      throw new UsageError(`--measure needs a local serve: nothing of ours listens on port ${url.port}`);
    costs = await measureCosts({
      target: { host: url.hostname, port: Number(url.port), path: url.pathname },
      api: `http://${url.host}`,
      apiKey,
      pid,
      connections: Math.max(100, integerOption('measure-connections', s['measure-connections'], 5000)),
      channelPrefix: s.prefix ?? 'bench:',
      signToken:
        s['jwt-secret'] === undefined
          ? undefined
          : (sub) => signToken({ sub }, { secret: s['jwt-secret']!, ttlSeconds: 600 }),
      onStep: (line) => console.error(`measure: ${line}`),
    });
    if (s.save) writeFileSync(s.save, `${JSON.stringify(costs, null, 2)}\n`);
  } else if (s.costs) {
    costs = readCosts(s.costs);
  } else {
    costs = {
      connectionBytes: num(s['conn-bytes'], 'conn-bytes', 6700),
      kernelBytes: num(s['kernel-bytes'], 'kernel-bytes', 0),
      subscriptionBytes: num(s['sub-bytes'], 'sub-bytes', 300),
      handshakeCpuUs: { plain: num(s['handshake-us'], 'handshake-us', 170) },
      deliveryCpuUs: { '256': num(s['delivery-us'], 'delivery-us', 3.6) },
      publishCpuUs: num(s['publish-us'], 'publish-us', 60),
      measuredOn: 'flags / docs/performance.md defaults',
    };
  }
  const auth = (s.auth ?? 'plain') as FleetTarget['auth'];
  if (!['plain', 'jwt', 'tls'].includes(auth))
    throw new UsageError(`--auth must be plain, jwt or tls, got ` + `"${auth}"`);
  const target: FleetTarget = {
    connections: num(s.connections, 'connections', 1_000_000),
    subscriptionsPerConnection: num(s.subs, 'subs', 5),
    publishRate: num(s['publish-rate'], 'publish-rate', 10_000),
    fanout: num(s.fanout, 'fanout', 100),
    payloadBytes: num(s.payload, 'payload', 256),
    auth,
    coresPerNode: Math.max(1, num(s.cores, 'cores', 8)),
    memoryGbPerNode: num(s['memory-gb'], 'memory-gb', 32),
    surgeShare: num(s.surge, 'surge', 50) / 100,
    surgeSeconds: Math.max(1, num(s['surge-seconds'], 'surge-seconds', 30)),
    fdLimit: num(s['fd-limit'], 'fd-limit', 1_048_576),
    ephemeralPorts: num(s.ports, 'ports', 64_511),
    lbAddresses: Math.max(1, num(s['lb-addresses'], 'lb-addresses', 1)),
    nicGbps: num(s['nic-gbps'], 'nic-gbps', 10),
    brokerPublishRate: num(s['broker-rate'], 'broker-rate', 60_000),
    utilisation: Math.min(1, Math.max(0.1, num(s.utilisation, 'utilisation', 70) / 100)),
    spareNodes: Math.floor(num(s.spare, 'spare', 1)),
  };
  if (target.connections < 1) throw new UsageError('--connections must be at least 1');
  const plan = planFleet(costs, target);
  if (v.json) return console.log(JSON.stringify({ costs, target, plan }, null, 2));
  console.log(fleetReport(costs, target, plan));
}

/** A saved cost model (`--measure --save FILE`), checked: a missing, unreadable or foreign file is a usage error. */
function readCosts(path: string): CostModel {
  let costs: CostModel | undefined;
  try {
    costs = JSON.parse(readFileSync(path, 'utf8')) as CostModel;
  } catch {
    // Unreadable, or not JSON: refused below with the rest.
  }
  const numbers = costs && [
    costs.connectionBytes,
    costs.kernelBytes,
    costs.subscriptionBytes,
    costs.publishCpuUs,
    costs.handshakeCpuUs?.plain,
  ];
  if (!numbers?.every((n) => typeof n === 'number') || typeof costs!.deliveryCpuUs !== 'object') {
    throw new UsageError(
      `--costs ${path} is not a readable cost model`,
      'give a file written by switchboard size --measure --save FILE',
    );
  }
  return costs!;
}
