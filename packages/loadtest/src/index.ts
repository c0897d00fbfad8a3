/**
 * @switchboard/loadtest: the load tools behind `switchboard bench`, `storm` and `size`. Bench and storm
 * fork worker processes (`bench-worker`, `storm-worker`, next to their runner in `src/` or `dist/`).
 */
export {
  runBench,
  CONNECTIONS_PER_SOURCE,
  loopbackSources,
  portsPerAddress,
  type BenchOptions,
  type BenchResult,
  type ProgressLine,
} from './bench-run.js';
export { BenchAbortedError, type BenchAbortStage } from './bench-aborted-error.js';
export { benchReport } from './bench-report.js';
export { runStorm, type StormOptions, type StormResult, type StormTrigger, type WavePoint } from './storm-run.js';
export type { StormPolicy } from './storm-protocol.js';
export { stormTable } from './storm-report.js';
export { waveChart } from './wave-chart.js';
export { measureCosts, type MeasureOptions } from './cost-measure.js';
export {
  planFleet,
  deliveryCost,
  type CostModel,
  type FleetTarget,
  type FleetPlan,
  type Ceiling,
} from './fleet-model.js';
export { fleetReport } from './fleet-report.js';
export {
  LoadOpenError,
  type LoadTarget,
  type LoadTransport,
  type LoadSink,
  type LoadConnection,
} from './load-transport.js';
export { LOAD_TRANSPORTS } from './load-transports.js';
export { websocketLoadTransport } from './websocket-load-transport.js';
export { Publisher, type PublisherOptions } from './publisher.js';
export { startLbProxy, type LbNode, type LbProxy } from './lb-proxy.js';
export { LatencyHistogram, Reservoir, percentile, median } from './stats.js';
export { cpuMicros, rssBytes, tcpSocketMemory, writeSyscalls } from './proc-stats.js';
export { pidListeningOn, isLoopback } from './local-process.js';
export { now } from './clock.js';
export { formatNumber, formatMs } from './format-number.js';
