import { formatNumber as fmt } from './format-number.js';
import type { StormResult } from './storm-run.js';

/** Storm results side by side, one column per policy, as `switchboard storm` prints them. */
export function stormTable(results: StormResult[]): string {
  const s = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(2)} s`);
  const rows: [string, (r: StormResult) => string][] = [
    ['disconnected', (r) => String(r.disconnected)],
    ['50 % back', (r) => s(r.reconnectedMs.p50)],
    ['99 % back', (r) => s(r.reconnectedMs.p99)],
    ['100 % back', (r) => s(r.reconnectedMs.p100)],
    ['attempts', (r) => String(r.attempts)],
    ['failed attempts', (r) => String(r.failedAttempts)],
    ['503 + Retry-After', (r) => String(r.refused503)],
    ['peak attempts/s', (r) => fmt(r.peakAttemptsPerS)],
    ['peak handshakes/s', (r) => fmt(r.peakHandshakesPerS)],
    ['peak node CPU %', (r) => String(r.peakCpuPercent)],
    ['peak event-loop lag', (r) => `${r.peakLagMs} ms`],
    ['published', (r) => String(r.published)],
    ['lost / duplicated', (r) => `${r.lost} / ${r.duplicates}`],
  ];
  const w = 14;
  const head = `${''.padEnd(20)}${results.map((r) => r.policy.padStart(w)).join('')}`;
  return [
    head,
    ...rows.map(([label, f]) => `${label.padEnd(20)}${results.map((r) => f(r).padStart(w)).join('')}`),
  ].join('\n');
}
