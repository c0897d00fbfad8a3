import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { DrainPlan } from '@switchboard/server';
import type { ServeConfig } from './serve-config.js';
import type { serveLogger } from './serve-logger.js';
import { GENERATED_KEY_ENV, WORKER_SLOT_ENV, isMessage, type ToPrimary, type ToWorker } from './worker-ipc.js';

/** One worker's registry as `getMetricsAsJSON()` gives it. */
type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Restart backoff of a crashed worker: 100 ms doubling to 10 s; reset once a worker has served 10 s. */
const RESTART_BACKOFF = Object.freeze({ baseMs: 100, capMs: 10_000, healthyAfterMs: 10_000 });
/** How long the primary waits for each worker's registry when aggregating `/metrics`. */
const METRICS_COLLECT_MS = 2000;

interface Slot {
  index: number;
  worker?: Worker;
  nodeId?: string;
  /** When the current worker reported listening. */
  listeningAt?: number;
  /** When the previous worker exited unasked: the restart's downtime starts there. */
  crashedAt?: number;
  /** Consecutive crashes of short-lived workers: the backoff's exponent. */
  crashes: number;
  everListened: boolean;
  restartTimer?: NodeJS.Timeout;
}

export interface PrimaryOptions {
  config: ServeConfig;
  log: ReturnType<typeof serveLogger>;
  /** The API key the primary generated, handed to every worker so they share it; undefined when one was set. */
  generatedKey?: string;
}

/**
 * The primary of `serve --workers N`: forks N workers (each a node of the cluster
 * on the shared engine, sharing the port), prints the banner once all listen,
 * restarts a worker that exits unasked (bounded backoff), aggregates `/metrics`,
 * relays a drain to every worker, and on SIGTERM/SIGINT lets every worker drain
 * and exits 0 once all have exited. It serves no connection itself.
 */
export function runPrimary({ config, log, generatedKey }: PrimaryOptions): Promise<void> {
  cluster.schedulingPolicy = config.workerScheduling === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  const slots: Slot[] = Array.from({ length: config.workers }, (_, index) => ({
    index,
    crashes: 0,
    everListened: false,
  }));
  const env = generatedKey ? { SWITCHBOARD_API_KEY: generatedKey, [GENERATED_KEY_ENV]: '1' } : {};
  let stopping = false;
  let boxDrain: DrainPlan | undefined;
  let banner: string | undefined;
  let nextRequest = 0;
  /** The first failing worker's one line and exit code. */
  let failure: { line: string; code: number } | undefined;
  const collecting = new Map<number, { answers: MetricsJson[]; waiting: number; done: () => void }>();

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    const worker = cluster.fork({ ...env, [WORKER_SLOT_ENV]: String(slot.index) });
    slot.worker = worker;
    slot.listeningAt = undefined;
    worker.on('message', (m: unknown) => {
      if (isMessage<ToPrimary>(m)) onMessage(slot, worker, m);
    });
  };
  const send = (worker: Worker | undefined, m: ToWorker) => {
    if (worker?.isConnected()) worker.send(m);
  };
  const live = () => slots.filter((s) => s.worker && s.listeningAt !== undefined).map((s) => s.worker!);

  /** Every listening worker's registry, aggregated as prom-client does (counters, gauges, histograms summed). */
  const aggregate = async (): Promise<string | null> => {
    const workers = live();
    const id = nextRequest++;
    const answers: MetricsJson[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, METRICS_COLLECT_MS);
      collecting.set(id, { answers, waiting: workers.length, done: () => (clearTimeout(timer), resolve()) });
      if (workers.length === 0) resolve();
      for (const w of workers) send(w, { sb: 'metrics-json', id });
    });
    collecting.delete(id);
    if (answers.length === 0) return null;
    return AggregatorRegistry.aggregate(answers).metrics();
  };

  const onMessage = (slot: Slot, worker: Worker, m: ToPrimary) => {
    if (m.sb === 'listening') {
      const restarted = slot.crashedAt !== undefined;
      slot.nodeId = m.nodeId;
      slot.listeningAt = Date.now();
      slot.everListened = true;
      if (slot.index === 0 && banner === undefined) banner = m.banner;
      const fields = { worker: slot.index, pid: worker.process.pid, nodeId: m.nodeId, name: m.name };
      if (restarted) log.warn({ ...fields, downMs: slot.listeningAt - slot.crashedAt! }, 'worker restarted');
      else log.info(fields, 'worker listening');
      slot.crashedAt = undefined;
      if (boxDrain) send(worker, { sb: 'drain', plan: boxDrain });
      if (!printed && slots.every((s) => s.everListened)) printBanner();
    } else if (m.sb === 'metrics') {
      void aggregate().then((text) => send(worker, { sb: 'metrics', id: m.id, text }));
    } else if (m.sb === 'metrics-json') {
      const c = collecting.get(m.id);
      if (!c) return;
      c.answers.push(m.metrics as MetricsJson);
      if (--c.waiting === 0) c.done();
    } else if (m.sb === 'failed') {
      failure ??= { line: m.line, code: m.code };
      // A worker that had listened is restarted; its reason is still worth one line.
      if (slot.everListened) console.error(m.line);
    } else if (m.sb === 'drain' && !boxDrain && !stopping) {
      // A drain began on one worker (the API, another node): the box is what is being drained.
      boxDrain = m.plan;
      log.info({ worker: slot.index, plan: m.plan }, 'drain of one worker: draining every worker');
      for (const s of slots) if (s !== slot) send(s.worker, { sb: 'drain', plan: m.plan });
    }
  };

  let printed = false;
  let startupDone!: () => void;
  const started = new Promise<void>((resolve) => (startupDone = resolve));
  const printBanner = () => {
    printed = true;
    const nodes = slots.map((s) => s.nodeId).join(', ');
    console.log(
      `${banner}\n  workers       ${slots.length} processes (port shared: ` +
        `${config.workerScheduling === 'rr' ? 'round-robin by the primary' : 'each worker accepts'}), nodes ` +
        `${nodes}`,
    );
    log.info({ workers: slots.length, scheduling: config.workerScheduling, pid: process.pid }, 'primary ready');
    startupDone();
  };

  cluster.on('exit', (worker, code, signal) => {
    const slot = slots.find((s) => s.worker === worker);
    if (!slot) return;
    slot.worker = undefined;
    if (stopping) {
      if (slots.every((s) => !s.worker)) {
        log.info({}, 'stopped: every worker exited');
        log.flush();
        process.exit(0);
      }
      return;
    }
    if (!slot.everListened) {
      // A worker that never started (engine unreachable, port taken): its reason, once, and the box stops.
      log.error({ worker: slot.index, code, signal }, 'worker failed to start: stopping');
      for (const s of slots) s.worker?.process.kill('SIGKILL');
      log.flush();
      console.error(
        failure?.line ??
          `switchboard: worker ${slot.index} exited before listening (code ${code}, signal ${signal}; see its log ` +
            `lines)`,
      );
      process.exit(failure?.code || code || 1);
    }
    const now = Date.now();
    if (slot.listeningAt !== undefined && now - slot.listeningAt >= RESTART_BACKOFF.healthyAfterMs) slot.crashes = 0;
    const delayMs = Math.min(RESTART_BACKOFF.capMs, RESTART_BACKOFF.baseMs * 2 ** slot.crashes);
    slot.crashes++;
    slot.crashedAt ??= now;
    log.warn(
      { worker: slot.index, pid: worker.process.pid, nodeId: slot.nodeId, code, signal, restartInMs: delayMs },
      'worker exited unexpectedly: restarting',
    );
    slot.restartTimer = setTimeout(() => fork(slot), delayMs);
  });

  const stop = (signal: string) => {
    stopping = true;
    log.info(
      { signal, workers: slots.filter((s) => s.worker).length },
      'shutting down: every worker drains, then exits',
    );
    for (const s of slots) {
      clearTimeout(s.restartTimer);
      // SIGTERM to each: a worker drains exactly as a single `serve` does.
      s.worker?.process.kill('SIGTERM');
    }
    if (slots.every((s) => !s.worker)) process.exit(0);
    const now = () => {
      for (const s of slots) s.worker?.process.kill('SIGKILL');
      process.exit(0);
    };
    process.once('SIGINT', now);
    process.once('SIGTERM', now);
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));

  for (const slot of slots) fork(slot);
  return started;
}
