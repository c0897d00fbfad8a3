import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { nanos } from '@nats-io/transport-node';
import type { NatsLink } from './nats-link.js';
import { NatsNames } from './nats-names.js';
import type { StreamSettings } from './nats-streams.js';

/** "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10058;
/** "no message found": nothing at or after the asked sequence. */
const NO_MESSAGE = 10037;

/** Publishes of one event id within this window are stored once (a re-appended pending event). */
const EVENT_DUPLICATE_WINDOW_MS = 120_000;

/** A subject token or KV key part for any text (never empty). */
export const keyPart = (text: string) => `x${NatsNames.token(text)}`;
export const fromKeyPart = (part: string) => NatsNames.untoken(part.slice(1));

/**
 * The JetStream parts of lifecycle events, made on first use: the stream `<p>_events`
 * (subject `<p>.ev.<partition>`), the stream `<p>_deadletters` (subject `<p>.dl.<consumer>`,
 * at most `deadLetterCap` per subject), and the KV buckets `<p>_evleases` (lease,
 * holder and cursor per consumer and partition) and `<p>_occupancy`.
 */
export class NatsEventParts {
  private made: Promise<{ leases: KV; occupancy: KV }> | undefined;

  constructor(
    readonly link: NatsLink,
    readonly prefix: string,
    private readonly settings: Omit<StreamSettings, 'idempotencyWindowMs'>,
    private readonly deadLetterCap: number,
  ) {}

  get events(): string {
    return `${this.prefix}_events`;
  }

  get deadLetters(): string {
    return `${this.prefix}_deadletters`;
  }

  subject(partition: number): string {
    return `${this.prefix}.ev.${partition}`;
  }

  deadLetterSubject(consumer: string): string {
    return `${this.prefix}.dl.${keyPart(consumer)}`;
  }

  ready(): Promise<{ leases: KV; occupancy: KV }> {
    this.made ??= this.link.run('create event streams', async () => {
      const storage = this.settings.storage === 'memory' ? StorageType.Memory : StorageType.File;
      const base = {
        retention: RetentionPolicy.Limits,
        storage,
        num_replicas: this.settings.replicas,
        discard: DiscardPolicy.Old,
        allow_direct: true,
      };
      await this.stream({
        ...base,
        name: this.events,
        subjects: [`${this.prefix}.ev.*`],
        duplicate_window: nanos(EVENT_DUPLICATE_WINDOW_MS),
      });
      await this.stream({
        ...base,
        name: this.deadLetters,
        subjects: [`${this.prefix}.dl.*`],
        max_msgs_per_subject: this.deadLetterCap,
      });
      const kvm = new Kvm(this.link.js);
      const bucket = (name: string) => kvm.create(name, { history: 1, replicas: this.settings.replicas, storage });
      return { leases: await bucket(`${this.prefix}_evleases`), occupancy: await bucket(`${this.prefix}_occupancy`) };
    });
    this.made.catch(() => (this.made = undefined));
    return this.made;
  }

  /** The first message of `subject` at or after `seq`, or undefined. */
  async next(stream: string, subject: string, seq: number): Promise<{ seq: number; data: string } | undefined> {
    try {
      const m = await this.link.jsm.direct.getMessage(stream, { next_by_subj: subject, seq });
      return m ? { seq: m.seq, data: new TextDecoder().decode(m.data) } : undefined;
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === NO_MESSAGE) return undefined;
      throw error;
    }
  }

  /** Up to `limit` messages of `subject` from `seq` on, in order. */
  async walk(stream: string, subject: string, seq: number, limit: number): Promise<{ seq: number; data: string }[]> {
    const out: { seq: number; data: string }[] = [];
    for (let at = seq; out.length < limit; ) {
      const m = await this.next(stream, subject, at);
      if (!m) break;
      out.push(m);
      at = m.seq + 1;
    }
    return out;
  }

  async count(stream: string, subject: string): Promise<number> {
    const info = await this.link.jsm.streams.info(stream, { subjects_filter: subject });
    return (info.state.subjects as Record<string, number> | undefined)?.[subject] ?? 0;
  }

  private async stream(config: Parameters<NatsLink['jsm']['streams']['add']>[0]): Promise<void> {
    try {
      await this.link.jsm.streams.add(config);
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
    }
  }
}
