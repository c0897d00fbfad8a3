// What the storm reads off each node's /metrics (Prometheus text): handshakes by status, process CPU and
// event-loop lag. Works for remote nodes too, unlike /proc.

export interface NodeSample {
  ok: number;
  refused: number;
  cpuSeconds: number;
  lagSeconds: number;
}

function value(text: string, pattern: RegExp): number {
  return Number(pattern.exec(text)?.[1] ?? 0);
}

export async function sampleNode(base: string): Promise<NodeSample | undefined> {
  try {
    const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    return {
      ok: value(text, /^switchboard_handshakes_total\{status="101"\} (\S+)/m),
      refused: value(text, /^switchboard_handshakes_total\{status="503"\} (\S+)/m),
      cpuSeconds: value(text, /^process_cpu_seconds_total (\S+)/m),
      lagSeconds: value(text, /^nodejs_eventloop_lag_seconds (\S+)/m),
    };
  } catch {
    return undefined; // a killed node: no sample
  }
}
