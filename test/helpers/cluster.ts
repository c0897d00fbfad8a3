import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type StreamPosition } from '@switchboard/client';
import { WebSocket } from '@switchboard/websocket';
import { AUDIENCE, ISSUER, SECRET } from './jwt.js';
import { startServe, stopChild } from './process.js';

export const API_KEY = 'cluster-test-api-key-0123456789';

/** A `switchboard serve --engine redis|nats` process: its HTTP base and WebSocket URL. */
export interface Node {
  child: ChildProcess;
  base: string;
  ws: string;
  nodeId: string;
  /** The key (or subject) prefix its cluster uses. */
  prefix: string;
}

/** What the nodes share: a Redis URL, or NATS servers (with the stream replicas to use). */
export type Backplane = string | { nats: string[]; replicas?: number };

/** The `serve` flags and env for a backplane, with the cluster's own prefix. */
function backplaneArgs(backplane: Backplane, prefix: string): { args: string[]; env: Record<string, string> } {
  if (typeof backplane === 'string')
    return { args: ['--engine', 'redis', '--redis-url', backplane], env: { SWITCHBOARD_REDIS_PREFIX: prefix } };
  return {
    args: [
      '--engine',
      'nats',
      ...backplane.nats.flatMap((url) => ['--nats-url', url]),
      '--nats-replicas',
      String(backplane.replicas ?? 1),
    ],
    env: { SWITCHBOARD_NATS_PREFIX: prefix.replace(/[^A-Za-z0-9_-]/g, '_') },
  };
}

/**
 * `count` server processes on one Redis or NATS, with a prefix of their own (so
 * concurrent tests never share channels), anonymous clients and HS256 JWTs,
 * and the `feed` namespace: long history, presence, join/leave.
 */
export async function startNodes(
  count: number,
  backplane: Backplane,
  extra: Record<string, unknown> = {},
  placement: (index: number) => NodePlacement = () => ({}),
): Promise<Node[]> {
  const config = join(tmpdir(), `sb-cluster-${process.pid}-${Date.now()}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      allowAnonymous: true,
      apiKey: API_KEY,
      jwt: { issuer: ISSUER, audience: AUDIENCE },
      namespaces: {
        feed: {
          history: { size: 50_000, ttlMs: 600_000 },
          presence: true,
          joinLeave: true,
          allowPublish: true,
          maxRecoveredPublications: 50_000,
        },
      },
      positionCheckIntervalMs: 2000,
      // One process per node, as these tests count nodes (serve's default is one worker per core).
      workers: 1,
      ...extra,
    }),
  );
  const prefix = `cluster:${process.pid}:${Date.now()}:`;
  return Promise.all(Array.from({ length: count }, (_, i) => startNode(config, backplane, prefix, placement(i))));
}

/**
 * Where a node runs: the address it binds (default 127.0.0.1), and a command that execs it (e.g. `ip netns exec NS`).
 */
export interface NodePlacement {
  host?: string;
  wrapper?: string[];
}

async function startNode(config: string, backplane: Backplane, prefix: string, where: NodePlacement): Promise<Node> {
  const { args, env } = backplaneArgs(backplane, prefix);
  const host = where.host ? ['--host', where.host] : [];
  const { child, base, nodeId } = await startServe(
    ['--port', '0', ...host, ...args, '--config', config],
    { ...process.env, SWITCHBOARD_JWT_SECRET: SECRET, ...env },
    where.wrapper,
  );
  return {
    child,
    base,
    ws: `${base.replace('http', 'ws')}/connection/websocket`,
    nodeId,
    prefix: env.SWITCHBOARD_REDIS_PREFIX ?? env.SWITCHBOARD_NATS_PREFIX,
  };
}

export const stopNodes = (nodes: Node[]) => Promise.all(nodes.map((n) => stopChild(n.child)));

/** POST /api/<method> on one node; resolves with the HTTP status and JSON body. */
export async function api(node: Node, method: string, body: object = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${node.base}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `apikey ${API_KEY}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/**
 * The application's backend: publishes 1, 2, 3… one at a time through the
 * API of the given nodes in turn, retrying each (same idempotency key) until
 * acknowledged, and keeps the acknowledged set — the state a snapshot returns.
 */
export class LedgerPublisher {
  readonly acked = new Set<number>();
  readonly failures = new Map<string, number>();
  readonly epochs = new Set<string>();
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly nodes: () => Node[],
    private readonly channel: string,
  ) {}

  /** Publishes `from..to` at about `perSecond`; `during(seq)` runs before each. */
  async run(
    from: number,
    to: number,
    perSecond: number,
    during: (seq: number) => Promise<void> | void = () => {},
  ): Promise<void> {
    const start = Date.now();
    for (let seq = from; seq <= to; seq++) {
      await during(seq);
      this.inFlight = this.publish(seq);
      await this.inFlight;
      const due = start + ((seq - from + 1) * 1000) / perSecond;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  }

  /** Resolves once no publish is in flight: every publication up to now is in `acked`. */
  settled(): Promise<void> {
    return this.inFlight;
  }

  private async publish(seq: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const nodes = this.nodes();
      const node = nodes[(seq + attempt) % nodes.length];
      const outcome = await api(node, 'publish', {
        channel: this.channel,
        data: { seq },
        idempotencyKey: `seq-${seq}`,
      }).catch((e: Error) => ({ status: 0, body: { error: { code: e.message } } }));
      if (outcome.status === 200) {
        this.acked.add(seq);
        this.epochs.add(outcome.body.epoch);
        return;
      }
      const why = `${outcome.status} ${outcome.body?.error?.code}`;
      this.failures.set(why, (this.failures.get(why) ?? 0) + 1);
      await sleep(50);
    }
  }
}

/**
 * An SDK client subscribed to the channel, counting what the app sees: each
 * `seq` received, duplicates, offsets out of order, gaps and snapshots. A
 * snapshot replaces the state with the ledger's (the app's "load from backend").
 */
export class AppSubscriber {
  readonly client: Client;
  readonly state = new Set<number>();
  /** Seqs the state holds from a snapshot and not (yet) from a publication. */
  private readonly fromSnapshot = new Set<number>();
  /** A publication of a seq that arrived again: the SDK's dedupe failed. */
  duplicates = 0;
  /** A publication already in the snapshot just loaded: at-least-once overlap, by design. */
  overlap = 0;
  outOfOrder = 0;
  gaps = 0;
  snapshots = 0;
  readonly nodes: string[] = [];
  readonly closes: number[] = [];
  private last: StreamPosition | undefined;
  private subscribed = false;

  /** Times the subscription went back to `subscribing` after being subscribed (a resubscribe: gap, 3010, reconnect). */
  resubscribes = 0;

  /** `onSeq` sees every publication's seq as it arrives (before dedupe). */
  constructor(
    urls: string | string[],
    channel: string,
    ledger: LedgerPublisher | undefined,
    onSeq?: (seq: number) => void,
  ) {
    this.client = new Client(urls, { WebSocket, backoff: { baseMs: 100, capMs: 1000 } });
    this.client.on('connected', (e) => this.nodes.push(e.node));
    this.client.on('disconnected', (e) => this.closes.push(e.code));
    const sub = this.client.subscribe(channel, {
      getSnapshot:
        ledger &&
        (async () => {
          const { position } = await this.client.history(channel, { limit: 0 });
          await ledger.settled();
          return { position, data: [...ledger.acked] };
        }),
    });
    sub.on('publication', (e) => {
      const seq = (e.data as { seq: number }).seq;
      onSeq?.(seq);
      if (this.last && e.epoch === this.last.epoch && e.offset <= this.last.offset) this.outOfOrder++;
      this.last = { offset: e.offset, epoch: e.epoch };
      if (this.fromSnapshot.delete(seq)) this.overlap++;
      else if (this.state.has(seq)) this.duplicates++;
      this.state.add(seq);
    });
    sub.on('gap', () => this.gaps++);
    sub.on('snapshot', (e) => {
      this.snapshots++;
      this.last = e.position;
      this.state.clear();
      this.fromSnapshot.clear();
      for (const seq of e.data as number[]) this.state.add(seq), this.fromSnapshot.add(seq);
    });
    sub.on('state', (e) => {
      if (e.state === 'subscribed') this.subscribed = true;
      else if (e.state === 'subscribing' && e.previous === 'subscribed') this.resubscribes++;
    });
    this.client.connect();
  }

  get ready(): boolean {
    return this.subscribed;
  }

  /** Acknowledged publications the app does not hold. */
  missing(ledger: LedgerPublisher): number[] {
    return [...ledger.acked].filter((seq) => !this.state.has(seq));
  }
}

/** Totals over subscribers, for the test's report line. */
export function tally(subscribers: AppSubscriber[], ledger: LedgerPublisher) {
  const sum = (f: (s: AppSubscriber) => number) => subscribers.reduce((n, s) => n + f(s), 0);
  return {
    subscribers: subscribers.length,
    acked: ledger.acked.size,
    lost: sum((s) => s.missing(ledger).length),
    duplicates: sum((s) => s.duplicates),
    snapshotOverlap: sum((s) => s.overlap),
    outOfOrder: sum((s) => s.outOfOrder),
    gaps: sum((s) => s.gaps),
    snapshots: sum((s) => s.snapshots),
  };
}
