import {
  EVENT_LOG_DEFAULTS,
  partitionOf,
  type DeadLetter,
  type EventLog,
  type EventLogOptions,
  type LogEvent,
  type StoredEvent,
} from '@switchboard/engine';

interface Partition {
  /** Stored events, oldest first; `seq` is the decimal of a counter. */
  entries: StoredEvent[];
  next: number;
  /** Consumers that took a lease here: their dead letters receive what the cap trims. */
  consumers: Set<string>;
}

/** One cluster's lifecycle events: every MemoryEventLog made on it shares them. */
export class MemoryEventHub {
  readonly options: Required<EventLogOptions>;
  readonly partitions: Partition[];
  readonly leases = new Map<string, { holder: string; expiresAt: number }>();
  readonly cursors = new Map<string, string>();
  readonly deadLetters = new Map<string, DeadLetter[]>();

  constructor(options: EventLogOptions = {}) {
    this.options = { ...EVENT_LOG_DEFAULTS, ...options };
    this.partitions = Array.from({ length: this.options.partitions }, () => ({
      entries: [],
      next: 1,
      consumers: new Set<string>(),
    }));
  }

  /** Stores one event (synchronously: the occupancy store appends in the same step as its count). */
  store(event: LogEvent): void {
    const p = partitionOf(event.key, this.partitions.length);
    const partition = this.partitions[p];
    partition.entries.push({ seq: String(partition.next++), event });
    const excess = partition.entries.length - this.options.backlogCap;
    if (excess <= 0) return;
    const trimmed = partition.entries.splice(0, excess);
    const at = Date.now();
    for (const consumer of partition.consumers) {
      const cursor = Number(this.cursors.get(slot(consumer, p)) ?? 0);
      const lost = trimmed
        .filter((e) => Number(e.seq) > cursor)
        .map((e) => ({ seq: e.seq, event: e.event, reason: 'backlog-cap', at }));
      if (lost.length > 0) this.addDeadLetters(consumer, lost);
    }
  }

  addDeadLetters(consumer: string, letters: readonly DeadLetter[]): void {
    const list = this.deadLetters.get(consumer) ?? this.deadLetters.set(consumer, []).get(consumer)!;
    list.push(...letters);
    if (list.length > this.options.deadLetterCap) list.splice(0, list.length - this.options.deadLetterCap);
  }
}

const slot = (consumer: string, partition: number) => `${consumer}\n${partition}`;

/** The memory engine's EventLog: a view of a MemoryEventHub (see EventLog for the contract). */
export class MemoryEventLog implements EventLog {
  constructor(private readonly hub: MemoryEventHub) {}

  get partitions(): number {
    return this.hub.partitions.length;
  }

  async append(events: readonly LogEvent[]): Promise<void> {
    for (const event of events) this.hub.store(event);
  }

  async read(partition: number, after: string | undefined, limit: number): Promise<StoredEvent[]> {
    const entries = this.hub.partitions[partition].entries;
    const from = after === undefined ? 0 : firstAfter(entries, Number(after));
    return entries.slice(from, from + limit);
  }

  async lease(consumer: string, partition: number, holder: string, ttlMs: number): Promise<boolean> {
    const key = slot(consumer, partition);
    const now = Date.now();
    const lease = this.hub.leases.get(key);
    if (lease && lease.holder !== holder && lease.expiresAt > now) return false;
    this.hub.leases.set(key, { holder, expiresAt: now + ttlMs });
    this.hub.partitions[partition].consumers.add(consumer);
    return true;
  }

  async release(consumer: string, partition: number, holder: string): Promise<void> {
    const key = slot(consumer, partition);
    if (this.hub.leases.get(key)?.holder === holder) this.hub.leases.delete(key);
  }

  async cursor(consumer: string, partition: number): Promise<string | undefined> {
    return this.hub.cursors.get(slot(consumer, partition));
  }

  async commit(consumer: string, partition: number, holder: string, seq: string): Promise<boolean> {
    const key = slot(consumer, partition);
    const lease = this.hub.leases.get(key);
    if (!lease || lease.holder !== holder || lease.expiresAt <= Date.now()) return false;
    if (Number(seq) > Number(this.hub.cursors.get(key) ?? 0)) this.hub.cursors.set(key, seq);
    // What every known consumer is done with is dropped: this process's memory holds only the backlog.
    const p = this.hub.partitions[partition];
    let done = Infinity;
    for (const c of p.consumers) done = Math.min(done, Number(this.hub.cursors.get(slot(c, partition)) ?? 0));
    if (done > 0 && p.entries.length > 0) p.entries.splice(0, firstAfter(p.entries, done));
    return true;
  }

  async deadLetter(consumer: string, letters: readonly DeadLetter[]): Promise<void> {
    this.hub.addDeadLetters(consumer, letters);
  }

  async deadLetters(consumer: string, limit: number): Promise<DeadLetter[]> {
    return (this.hub.deadLetters.get(consumer) ?? []).slice(0, limit);
  }

  async deadLetterCount(consumer: string): Promise<number> {
    return this.hub.deadLetters.get(consumer)?.length ?? 0;
  }

  async dropDeadLetters(consumer: string, count: number): Promise<void> {
    this.hub.deadLetters.get(consumer)?.splice(0, count);
  }
}

/** Index of the first entry whose seq is above `seq` (entries are in seq order). */
function firstAfter(entries: readonly StoredEvent[], seq: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Number(entries[mid].seq) <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
