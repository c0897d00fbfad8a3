import type { BenchResult } from './bench-run.js';
import { formatNumber as fmt } from './format-number.js';

/** A bench result as the lines `switchboard bench` prints. */
export function benchReport(r: BenchResult): string {
  const kv = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k}×${v}`).join(', ') || 'none';
  return [
    `switchboard bench: ${r.transport}, ${r.connections.opened}/${r.connections.target} connections over ${r.connections.workers} worker(s)${r.connections.sourceAddresses.length ? ` and source addresses ${r.connections.sourceAddresses.join(', ')}` : ''}`,
    `  connect      ${r.connect.seconds.toFixed(1)} s, ${fmt(r.connect.perSecond)} handshakes/s; connect+join p50 ${r.connect.p50Ms.toFixed(1)} ms, p99 ${r.connect.p99Ms.toFixed(1)} ms, max ${r.connect.maxMs.toFixed(1)} ms; ${r.connections.failed} failed after retries (${r.connections.attempts} attempts)`,
    `  publish      ${r.publish.mode}, ${r.publish.published} publications of ${r.publish.payloadBytes} B over ${r.publish.channels} channels, ${fmt(r.publish.perSecond)}/s${r.publish.failed ? `, ${r.publish.failed} failed` : ''}`,
    `  deliveries   ${r.deliveries.total} in ${r.seconds.toFixed(1)} s = ${fmt(r.deliveries.perSecond)}/s; lost ${r.deliveries.lost}, duplicates ${r.deliveries.duplicates} (checked per connection by sequence)`,
    `  latency      publish→deliver p50 ${r.latencyMs.p50.toFixed(1)} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms, max ${r.latencyMs.max.toFixed(1)} ms (${r.latencyMs.samples} samples)`,
    `  errors       ${kv(r.errors)}; closes ${kv(r.closes)}`,
    r.server ? `  server CPU   ${r.server.cpuSeconds.toFixed(2)} s over pid(s) ${r.server.pids.join(', ')} = ${r.server.cpuMicrosPerDelivery.toFixed(2)} µs per delivery` : `  server CPU   not measured (target not local; pass --server-pid)`,
  ].join('\n');
}
