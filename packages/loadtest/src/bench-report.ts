import type { BenchResult } from './bench-run.js';
import { formatMs, formatNumber as fmt } from './format-number.js';

/** A bench result as the lines `switchboard bench` prints; a figure without samples shows as "–". */
export function benchReport(r: BenchResult): string {
  const kv = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([k, v]) => `${k}×${v}`)
      .join(', ') || 'none';
  const cpu =
    r.server && Number.isFinite(r.server.cpuMicrosPerDelivery)
      ? `${r.server.cpuMicrosPerDelivery.toFixed(2)} µs per delivery`
      : 'no deliveries';
  return [
    `switchboard bench: ${r.transport}, ${r.connections.opened}/${r.connections.target} ` +
      `connections over ${r.connections.workers} ` +
      `worker(s)${
        r.connections.sourceAddresses.length
          ? ` and source ` + `addresses ${r.connections.sourceAddresses.join(', ')}`
          : ''
      }`,
    `  connect      ${r.connect.seconds.toFixed(1)} s, ${fmt(r.connect.perSecond)} handshakes/s; ` +
      `connect+join p50 ${formatMs(r.connect.p50Ms)}, p99 ${formatMs(r.connect.p99Ms)}, ` +
      `max ${formatMs(r.connect.maxMs)}; ${r.connections.failed} failed after retries (${r.connections.attempts} ` +
      `attempts)`,
    `  publish      ${r.publish.mode}, ${r.publish.published} publications of ${r.publish.payloadBytes} ` +
      `B over ${r.publish.channels} ` +
      `channels, ${fmt(r.publish.perSecond)}/s${r.publish.failed ? `, ${r.publish.failed} failed` : ''}`,
    `  deliveries   ${r.deliveries.total} in ${r.seconds.toFixed(1)} s = ${fmt(r.deliveries.perSecond)}/s; ` +
      `lost ${r.deliveries.lost}, duplicates ${r.deliveries.duplicates} (checked per connection by sequence)`,
    `  latency      publish→deliver p50 ${formatMs(r.latencyMs.p50)}, p99 ${formatMs(r.latencyMs.p99)}, ` +
      `max ${r.latencyMs.samples ? formatMs(r.latencyMs.max) : '–'} (${r.latencyMs.samples} samples)`,
    `  errors       ${kv(r.errors)}; closes ${kv(r.closes)}`,
    r.server
      ? `  server CPU   ${r.server.cpuSeconds.toFixed(2)} s over pid(s) ${r.server.pids.join(', ')} = ${cpu}`
      : `  server CPU   not measured (target not local; pass --server-pid)`,
  ].join('\n');
}
