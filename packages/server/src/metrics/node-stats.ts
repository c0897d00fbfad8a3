// One node's live figures for the dashboard, read from its metrics registry: counters stay
// cumulative (the page turns two snapshots into rates), gauges are current values.
import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';

export interface NodeStats {
  nodeId: string;
  name: string;
  version: string;
  uptimeMs: number;
  connectionsByTransport: Record<string, number>;
  handshakesByStatus: Record<string, number>;
  /** switchboard_connect_seconds: count, sum, and cumulative buckets by upper bound (seconds). */
  connect: { count: number; sum: number; buckets: Record<string, number> };
  disconnectsByCode: Record<string, number>;
  reconnects: number;
  /** Sum of every open connection's send backlog. */
  bufferedBytes: number;
  slowConsumer: Record<string, number>;
  publications: number;
  messagesSent: number;
  heartbeatTimeouts: number;
  cpuSeconds: number;
  eventLoopLagSeconds: number;
  rssBytes: number;
  topChannels: [string, number][];
}

/** The server package's version, read once (src/ and dist/ both sit two levels under the package root). */
const SERVER_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
})();

type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

function byLabel(metric: MetricJson | undefined, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of metric?.values ?? []) {
    const key = String(v.labels[label] ?? '');
    out[key] = (out[key] ?? 0) + v.value;
  }
  return out;
}

function total(metric: MetricJson | undefined): number {
  return (metric?.values ?? []).reduce((a, v) => a + v.value, 0);
}

export async function nodeStats(
  registry: Registry,
  node: { nodeId: string; name: string; uptimeMs: number },
  channelCounts: Map<string, number>,
  top = 10,
): Promise<NodeStats> {
  const metrics = new Map((await registry.getMetricsAsJSON()).map((m) => [m.name, m]));
  const get = (name: string) => metrics.get(name);
  const connect = { count: 0, sum: 0, buckets: {} as Record<string, number> };
  for (const v of get('switchboard_connect_seconds')?.values ?? []) {
    const name = (v as { metricName?: string }).metricName;
    if (name?.endsWith('_count')) connect.count = v.value;
    else if (name?.endsWith('_sum')) connect.sum = v.value;
    else if (v.labels.le !== undefined) connect.buckets[String(v.labels.le)] = v.value;
  }
  let bufferedBytes = 0;
  for (const v of get('switchboard_send_buffer_bytes')?.values ?? [])
    if ((v as { metricName?: string }).metricName?.endsWith('_sum')) bufferedBytes = v.value;
  const slow: Record<string, number> = {};
  for (const v of get('switchboard_slow_consumer_events_total')?.values ?? [])
    slow[`${v.labels.policy}/${v.labels.outcome}`] = v.value;
  return {
    ...node,
    version: SERVER_VERSION,
    connectionsByTransport: byLabel(get('switchboard_connections'), 'transport'),
    handshakesByStatus: byLabel(get('switchboard_handshakes_total'), 'status'),
    connect,
    disconnectsByCode: byLabel(get('switchboard_disconnects_total'), 'code'),
    reconnects: total(get('switchboard_reconnects_total')),
    bufferedBytes,
    slowConsumer: slow,
    publications: total(get('switchboard_publications_total')),
    messagesSent: total(get('switchboard_messages_sent_total')),
    heartbeatTimeouts: total(get('switchboard_heartbeat_timeouts_total')),
    cpuSeconds: total(get('process_cpu_seconds_total')),
    eventLoopLagSeconds: total(get('nodejs_eventloop_lag_seconds')),
    rssBytes: total(get('process_resident_memory_bytes')),
    topChannels: [...channelCounts].sort((a, b) => b[1] - a[1]).slice(0, top),
  };
}
