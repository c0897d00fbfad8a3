// `npm run soak -- --minutes 15`: one `switchboard serve` process under steady
// churn for that long (not part of `npm test`). 2,000 client slots connect and
// disconnect at random; most are SDK subscribers that switch channels and check
// every offset, the rest stop reading, send garbage or vanish with a reset.
// The backend publishes at a steady rate into channels with history. Every
// 10 s the serve process is sampled (bench/lib/soak-probe.ts, preloaded with
// --expose-gc: a full GC, then RSS, heap used, handles, TCP sockets and
// event-loop delay). Pass conditions, printed and written to docs/reliability.md
// with a chart in docs/images/soak.svg:
//   - the slope of heap after GC over the last 10 minutes (or the last two
//     thirds of a shorter run) is within ±SLOPE_BOUND MiB/min;
//   - handles and sockets return to the baseline once the clients have left;
//   - no live subscriber missed a publication without taking the gap path.
// Options: --minutes N (15), --clients N (2000), --rate N publications/s (100),
// --channels N (20), --no-write (print only). Exit code 1 when a condition fails.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SoakLoad } from './lib/soak-load.js';
import { chart, slope, withSoakSection, type Sample } from './lib/soak-report.js';

const SLOPE_BOUND = 0.5; // MiB per minute of heap after GC
// the server closes idle keep-alive connections (the publisher's) after 5 s; the loop below waits up to 60 s
const HANDLE_TOLERANCE = 0;
const SAMPLE_MS = 10_000;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '15' },
    clients: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '100' },
    channels: { type: 'string', default: '20' },
    'no-write': { type: 'boolean' },
  },
});
const minutes = Number(values.minutes);
const clients = Number(values.clients);
const rate = Number(values.rate);
const channels = Array.from({ length: Number(values.channels) }, (_, i) => `soak:ch${i}`);
const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const API_KEY = 'soak-api-key-0123456789-abcdef';

const config = join(tmpdir(), `sb-soak-${process.pid}.json`);
writeFileSync(
  config,
  JSON.stringify({
    allowAnonymous: true,
    apiKey: API_KEY,
    namespaces: { soak: { history: { size: 200, ttlMs: 3_600_000 } } },
  }),
);
const child = spawn(
  process.execPath,
  [
    '--expose-gc',
    '--import',
    'tsx',
    '--import',
    root('bench/lib/soak-probe.ts'),
    root('node_modules/.bin/switchboard'),
    'serve',
    '--port',
    '0',
    '--config',
    config,
  ],
  {
    cwd: root(''),
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  },
);
let banner = '';
child.stdout!.on('data', (c: Buffer) => (banner.length < 10_000 ? (banner += c) : undefined));
while (!/demo page\s+(http:\/\/[^\s/]+)\//.test(banner)) {
  if (child.exitCode !== null) throw new Error(`serve exited: ${banner}`);
  await sleep(50);
}
const base = /demo page\s+(http:\/\/[^\s/]+)\//.exec(banner)![1];
const load = new SoakLoad(`${base.replace('http', 'ws')}/connection/websocket`, channels);
const started = Date.now();
const samples: Sample[] = [];

async function sample(): Promise<Sample> {
  child.send('sample');
  const [probe] = (await once(child, 'message')) as [Omit<Sample, 't' | 'clients'>];
  const s = { t: (Date.now() - started) / 1000, ...probe, clients: load.connections };
  samples.push(s);
  return s;
}

const api = (method: string, body: object) =>
  fetch(`${base}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `apikey ${API_KEY}` },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

// Baseline: the server up, no clients.
await sleep(2000);
await sample();
const baseline = await sample();
console.log(
  `soak: serve at ${base}, ${minutes} min, ${clients} client slots, ${rate} publications/s over ${channels.length} ` +
    `channels; baseline ${baseline.handles} handles, ${baseline.sockets} sockets, ` +
    `heap ${(baseline.heapAfterGc / 2 ** 20).toFixed(1)} MiB`,
);

load.start(clients, Math.min(60_000, (minutes * 60_000) / 4));
let publishing = true;
const published = { ok: 0, failed: 0 };
const publisher = (async () => {
  let seq = 0;
  const perTick = Math.max(1, Math.round(rate / 10));
  for (let tick = Date.now(); publishing; tick += 100) {
    await Promise.all(
      Array.from({ length: perTick }, () => {
        seq++;
        return api('publish', {
          channel: channels[seq % channels.length],
          data: { seq, at: Date.now(), pad: 'x'.repeat(64) },
        }).then(
          (r) => (r.status === 200 ? published.ok++ : published.failed++),
          () => published.failed++,
        );
      }),
    );
    await sleep(Math.max(0, tick + 100 - Date.now()));
  }
})();

const end = started + minutes * 60_000;
while (Date.now() < end) {
  await sleep(Math.min(SAMPLE_MS, end - Date.now()));
  const s = await sample();
  console.log(
    `  ${(s.t / 60).toFixed(1)} min: ${s.clients} clients, rss ${(s.rss / 2 ** 20).toFixed(0)} MiB, ` +
      `heap after GC ${(s.heapAfterGc / 2 ** 20).toFixed(1)} MiB, ${s.handles} handles, ${s.sockets} sockets, ` +
      `lag p99 ${s.lagP99Ms.toFixed(1)} ms, ${published.ok} published, ${load.stats.deliveries} delivered`,
  );
}
const loadEnd = (Date.now() - started) / 1000;

// Quiesce: stop publishing, let deliveries land, compare every live subscription with its channel's top.
publishing = false;
await publisher;
await sleep(3000);
const tops = new Map<string, { offset: number; epoch: string }>();
for (const channel of channels) tops.set(channel, (await api('history', { channel, limit: 0 })).body.position);
load.checkTails(tops);
await load.stop();

// Handles back to the baseline once the clients have left (the server closes idle keep-alive connections after 5 s).
let after = await sample();
for (
  let i = 0;
  i < 30 &&
  (after.handles > baseline.handles + HANDLE_TOLERANCE || after.sockets > baseline.sockets + HANDLE_TOLERANCE);
  i++
) {
  await sleep(2000);
  after = await sample();
}
child.kill('SIGTERM');
await once(child, 'exit');

const windowStart = Math.max(loadEnd - 600, loadEnd / 3);
const loadSamples = samples.filter((s) => s.t >= windowStart && s.t <= loadEnd);
const heapSlope = slope(loadSamples.map((s) => ({ x: s.t / 60, y: s.heapAfterGc / 2 ** 20 })));
const lagP99 = Math.max(...samples.map((s) => s.lagP99Ms));
const verdict = {
  heap: Math.abs(heapSlope) <= SLOPE_BOUND,
  handles: after.handles <= baseline.handles + HANDLE_TOLERANCE && after.sockets <= baseline.sockets + HANDLE_TOLERANCE,
  delivery: load.stats.violations === 0 && load.stats.tailChecked > 0,
};
const pass = verdict.heap && verdict.handles && verdict.delivery;
const ok = (b: boolean) => (b ? 'pass' : '**FAIL**');
const { lifecycles } = load.stats;
const section = `
### Soak: ${new Date(started).toISOString().slice(0, 16).replace('T', ' ')} UTC, ${minutes} \
min — ${pass ? 'PASS' : 'FAIL'}

\`npm run soak -- --minutes ${minutes}\` (${clients} client slots, ${rate} publications/s over ${channels.length} \
channels with history; one \`serve\` process, memory engine).

![soak chart](images/soak.svg)

| Condition | Bound | Measured | |
|---|---|---|---|
| Heap after GC, slope over the last ${((loadEnd - windowStart) / 60).toFixed(1)} min | within ±${SLOPE_BOUND} \
MiB/min | ${heapSlope >= 0 ? '+' : ''}${heapSlope.toFixed(3)} MiB/min (${loadSamples.length} samples) \
| ${ok(verdict.heap)} |
| Handles / TCP sockets after the clients left | baseline + ${HANDLE_TOLERANCE} (${baseline.handles} \
/ ${baseline.sockets}) | ${after.handles} / ${after.sockets} | ${ok(verdict.handles)} |
| Live subscribers: every publication, or the gap path | 0 violations | ${load.stats.violations} \
violations; ${load.stats.tailChecked} live subscriptions at the channel's top at the end; ${load.stats.gapPaths} \
gap paths | ${ok(verdict.delivery)} |

| Figure | Value |
|---|---|
| Lifecycles | ${Object.values(lifecycles).reduce((a, b) => a + b, 0)}: ${Object.entries(lifecycles)
  .map(([k, v]) => `${v} ${k}`)
  .join(', ')} |
| Publications | ${published.ok} acknowledged, ${published.failed} failed; ${load.stats.deliveries} \
deliveries checked |
| RSS | ${(samples[1].rss / 2 ** 20).toFixed(0)} MiB at the baseline, \
max ${(Math.max(...samples.map((s) => s.rss)) / 2 ** 20).toFixed(0)} MiB, ${(after.rss / 2 ** 20).toFixed(0)} \
MiB after |
| Heap after GC | ${(baseline.heapAfterGc / 2 ** 20).toFixed(1)} MiB at the baseline, \
max ${(Math.max(...samples.map((s) => s.heapAfterGc)) / 2 ** 20).toFixed(1)} \
MiB, ${(after.heapAfterGc / 2 ** 20).toFixed(1)} MiB after |
| Event-loop delay | worst 10-s p99 ${lagP99.toFixed(1)} ms, \
max ${Math.max(...samples.map((s) => s.lagMaxMs)).toFixed(1)} ms |
${
  load.stats.violationSamples.length
    ? `\n` + `First violations: ${load.stats.violationSamples.map((v) => `\`${v}\``).join(', ')}\n`
    : ''
}`;
console.log(section);
if (!values['no-write']) {
  writeFileSync(root('docs/images/soak.svg'), chart(samples, windowStart, loadEnd));
  const doc = root('docs/reliability.md');
  writeFileSync(doc, withSoakSection(readFileSync(doc, 'utf8'), section));
  console.log('wrote docs/reliability.md and docs/images/soak.svg');
}
process.exit(pass ? 0 : 1);
