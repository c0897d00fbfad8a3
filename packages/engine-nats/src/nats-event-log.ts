import {
  EVENT_LOG_DEFAULTS,
  partitionOf,
  type DeadLetter,
  type EventLog,
  type EventLogOptions,
  type LogEvent,
  type StoredEvent,
} from '@switchboard/engine';
import type { KV } from '@nats-io/kv';
import { fromKeyPart, keyPart, type NatsEventParts } from './nats-event-parts.js';

/** A lease as stored in KV: its holder until `expiresAt` (this node's clock), and the consumer's cursor. */
interface LeaseValue {
  holder: string;
  expiresAt: number;
  cursor?: number;
}

/**
 * The EventLog on JetStream (see EventLog): the stream `<p>_events`, one subject per
 * partition, each publish acknowledged (and de-duplicated by event id); a stream
 * sequence is a `seq`. Leases and cursors share one KV value per (consumer,
 * partition), written with the revision it was read at, so a commit is fenced by the
 * lease. Lease expiry is on the nodes' clocks: keep them in sync (NTP) to well within
 * a lease. The backlog cap is kept by the appender: past it, the oldest events are
 * copied to the dead letters of each consumer that had not committed them, then
 * purged. Reads walk a subject one direct get at a time (2.9 has no batch get).
 */
export class NatsEventLog implements EventLog {
  readonly partitions: number;
  private readonly limits: Required<EventLogOptions>;

  constructor(
    private readonly parts: NatsEventParts,
    options: EventLogOptions = {},
  ) {
    this.limits = { ...EVENT_LOG_DEFAULTS, ...options };
    this.partitions = this.limits.partitions;
  }

  async append(events: readonly LogEvent[]): Promise<void> {
    await this.parts.ready();
    const { link } = this.parts;
    const touched = new Set<number>();
    // Issued in order on one connection: stored in call order.
    const acks = events.map((e) => {
      const p = partitionOf(e.key, this.partitions);
      touched.add(p);
      return link.run('append event', () => link.js.publish(this.parts.subject(p), JSON.stringify(e), { msgID: e.id }));
    });
    await Promise.all(acks);
    for (const p of touched) await this.keepCap(p);
  }

  async read(partition: number, after: string | undefined, limit: number): Promise<StoredEvent[]> {
    await this.parts.ready();
    const from = after === undefined ? 1 : Number(after) + 1;
    const messages = await this.parts.link.run('read events', () =>
      this.parts.walk(this.parts.events, this.parts.subject(partition), from, limit),
    );
    return messages.map((m) => ({ seq: String(m.seq), event: JSON.parse(m.data) as LogEvent }));
  }

  async lease(consumer: string, partition: number, holder: string, ttlMs: number): Promise<boolean> {
    const { leases } = await this.parts.ready();
    const key = leaseKey(consumer, partition);
    return this.parts.link.run('lease', async () => {
      const entry = await leases.get(key);
      const now = Date.now();
      if (entry?.operation !== 'PUT')
        return leases.create(key, JSON.stringify({ holder, expiresAt: now + ttlMs })).then(
          () => true,
          () => false,
        );
      const value = entry.json<LeaseValue>();
      if (value.holder !== holder && value.expiresAt > now) return false;
      return leases.update(key, JSON.stringify({ ...value, holder, expiresAt: now + ttlMs }), entry.revision).then(
        () => true,
        () => false,
      );
    });
  }

  async release(consumer: string, partition: number, holder: string): Promise<void> {
    await this.change(consumer, partition, holder, (v) => ({ ...v, expiresAt: 0 }));
  }

  async cursor(consumer: string, partition: number): Promise<string | undefined> {
    const { leases } = await this.parts.ready();
    const entry = await this.parts.link.run('cursor', () => leases.get(leaseKey(consumer, partition)));
    const cursor = entry?.operation === 'PUT' ? entry.json<LeaseValue>().cursor : undefined;
    return cursor === undefined ? undefined : String(cursor);
  }

  async commit(consumer: string, partition: number, holder: string, seq: string): Promise<boolean> {
    const done = await this.change(consumer, partition, holder, (v) => ({
      ...v,
      cursor: Math.max(v.cursor ?? 0, Number(seq)),
    }));
    if (done) await this.dropDelivered(partition);
    return done;
  }

  async deadLetter(consumer: string, letters: readonly DeadLetter[]): Promise<void> {
    await this.parts.ready();
    const { link } = this.parts;
    const subject = this.parts.deadLetterSubject(consumer);
    await Promise.all(letters.map((l) => link.run('dead letter', () => link.js.publish(subject, JSON.stringify(l)))));
  }

  async deadLetters(consumer: string, limit: number): Promise<DeadLetter[]> {
    await this.parts.ready();
    const messages = await this.parts.link.run('read dead letters', () =>
      this.parts.walk(this.parts.deadLetters, this.parts.deadLetterSubject(consumer), 1, limit),
    );
    return messages.map((m) => JSON.parse(m.data) as DeadLetter);
  }

  async deadLetterCount(consumer: string): Promise<number> {
    await this.parts.ready();
    return this.parts.link.run('count dead letters', () =>
      this.parts.count(this.parts.deadLetters, this.parts.deadLetterSubject(consumer)),
    );
  }

  async dropDeadLetters(consumer: string, count: number): Promise<void> {
    if (count <= 0) return;
    await this.parts.ready();
    const subject = this.parts.deadLetterSubject(consumer);
    const { link } = this.parts;
    await link.run('drop dead letters', async () => {
      const oldest = await this.parts.walk(this.parts.deadLetters, subject, 1, count);
      if (oldest.length > 0)
        await link.jsm.streams.purge(this.parts.deadLetters, { filter: subject, seq: oldest.at(-1)!.seq + 1 });
    });
  }

  /** Rewrites the (consumer, partition) value if `holder` holds its lease; false otherwise or on a race. */
  private async change(
    consumer: string,
    partition: number,
    holder: string,
    next: (v: LeaseValue) => LeaseValue,
  ): Promise<boolean> {
    const { leases } = await this.parts.ready();
    const key = leaseKey(consumer, partition);
    return this.parts.link.run('commit', async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const entry = await leases.get(key);
        if (entry?.operation !== 'PUT') return false;
        const value = entry.json<LeaseValue>();
        if (value.holder !== holder || value.expiresAt <= Date.now()) return false;
        if (
          await leases.update(key, JSON.stringify(next(value)), entry.revision).then(
            () => true,
            () => false,
          )
        )
          return true;
      }
      return false;
    });
  }

  /** The consumers known to a partition, with their cursors (0: none yet). */
  private async consumers(leases: KV, partition: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const keys: string[] = [];
    for await (const key of await leases.keys(`*.${partition}`)) keys.push(key);
    await Promise.all(
      keys.map(async (key) => {
        const entry = await leases.get(key);
        if (entry?.operation === 'PUT')
          out.set(fromKeyPart(key.slice(0, key.lastIndexOf('.'))), entry.json<LeaseValue>().cursor ?? 0);
      }),
    );
    return out;
  }

  /** Purges what every known consumer has committed. */
  private async dropDelivered(partition: number): Promise<void> {
    const { leases } = await this.parts.ready();
    await this.parts.link.run('drop delivered', async () => {
      const cursors = [...(await this.consumers(leases, partition)).values()];
      const done = cursors.length > 0 ? Math.min(...cursors) : 0;
      if (done > 0)
        await this.parts.link.jsm.streams.purge(this.parts.events, {
          filter: this.parts.subject(partition),
          seq: done + 1,
        });
    });
  }

  /** Past the cap: the oldest go to the dead letters of consumers that had not committed them, then are purged. */
  private async keepCap(partition: number): Promise<void> {
    const { leases } = await this.parts.ready();
    const { link } = this.parts;
    const subject = this.parts.subject(partition);
    await link.run('keep the backlog cap', async () => {
      const excess = (await this.parts.count(this.parts.events, subject)) - this.limits.backlogCap;
      if (excess <= 0) return;
      const oldest = await this.parts.walk(this.parts.events, subject, 1, excess);
      if (oldest.length === 0) return;
      const at = Date.now();
      for (const [consumer, cursor] of await this.consumers(leases, partition)) {
        const lost = oldest
          .filter((m) => m.seq > cursor)
          .map((m) => ({ seq: String(m.seq), event: JSON.parse(m.data) as LogEvent, reason: 'backlog-cap', at }));
        if (lost.length > 0) await this.deadLetter(consumer, lost);
      }
      await link.jsm.streams.purge(this.parts.events, { filter: subject, seq: oldest.at(-1)!.seq + 1 });
    });
  }
}

const leaseKey = (consumer: string, partition: number) => `${keyPart(consumer)}.${partition}`;
