import type { HistoryQuery, HistoryResult, StreamPosition } from '@switchboard/engine';
import type { NatsLink } from './nats-link.js';
import { readEntry, toPublication, type StoredEntry } from './nats-publication.js';
import { isStreamNotFound, type NatsStreams } from './nats-streams.js';
import { readStream } from './stream-reader.js';

/**
 * Up to this many messages a read walks back from the head by `Sb-Prev` (one leader get each); more go through a
 * consumer.
 */
const WALK_MAX = 16;

/** Where a channel lives: its profile's stream and its subject there. */
export interface ChannelLocation {
  stream: string;
  subject: string;
}

/**
 * Reads a channel's stored messages on a server without batch direct get (< 2.11).
 * Heads come from the stream leader (`STREAM.MSG.GET last_by_subj`), which is
 * read-after-write coherent, unlike direct get on a replica (ADR-31).
 */
export class NatsHistoryReader {
  constructor(
    private readonly link: NatsLink,
    private readonly streams: NatsStreams,
  ) {}

  /** The channel's newest stored message (a publication or the init marker), or null when the subject is empty. */
  async head(at: ChannelLocation): Promise<StoredEntry | null> {
    return this.get(at, { last_by_subj: at.subject });
  }

  /**
   * The stored publication that carries an idempotency key, if history still holds it (a rare path: reads the whole
   * channel).
   */
  async find(at: ChannelLocation, key: string): Promise<StoredEntry | undefined> {
    const messages = await readStream(this.link, at.stream, at.subject);
    return messages.map((m) => readEntry(m.seq, m.headers, m.data)).find((e) => e?.key === key);
  }

  /** Answers a history query from `head` (already read), all or nothing. */
  async read(channel: string, at: ChannelLocation, head: StoredEntry, query: HistoryQuery): Promise<HistoryResult> {
    const position: StreamPosition = { offset: head.offset, epoch: head.epoch };
    const { since, limit = -1, reverse = false } = query;
    const gap = (): HistoryResult => ({ publications: [], position, gap: true });
    if (since && (since.epoch !== head.epoch || since.offset > head.offset)) return gap();
    const from = since ? since.offset + 1 : 1;
    let ascending: StoredEntry[];
    if (from > head.offset) {
      ascending = [];
    } else if (since && head.offset - from < WALK_MAX) {
      const walked = await this.walkBack(at, head, from, Number.POSITIVE_INFINITY);
      if (!walked.reached) return gap(); // trimmed past `since`
      ascending = walked.entries.reverse();
    } else if (!since && reverse && limit > 0 && limit <= WALK_MAX) {
      ascending = (await this.walkBack(at, head, 1, limit)).entries.reverse();
    } else {
      const all = (await readStream(this.link, at.stream, at.subject))
        .map((m) => readEntry(m.seq, m.headers, m.data))
        .filter((e): e is StoredEntry => e !== undefined && e.epoch === head.epoch && e.offset <= head.offset);
      const oldest = all.length > 0 ? all[0].offset : head.offset + 1;
      if (since && from < oldest) return gap(); // the init marker (offset 0) counts: nothing before 1 was lost
      ascending = all.filter((e) => !e.marker && e.offset >= from);
    }
    const ordered = reverse ? ascending.reverse() : ascending;
    const kept = limit >= 0 ? ordered.slice(0, limit) : ordered;
    return { publications: kept.map((e) => toPublication(channel, e)), position, gap: false };
  }

  /**
   * From the head back to offset `stopAt` (newest first, markers left out), at most
   * `max` publications. `reached` is false when the chain broke first: trimmed or expired.
   */
  private async walkBack(
    at: ChannelLocation,
    head: StoredEntry,
    stopAt: number,
    max: number,
  ): Promise<{ entries: StoredEntry[]; reached: boolean }> {
    const entries: StoredEntry[] = [];
    for (let entry = head; ; ) {
      if (!entry.marker) entries.push(entry);
      if (entry.offset <= stopAt || entries.length >= max) return { entries, reached: entry.offset <= stopAt };
      if (entry.prev === 0) return { entries, reached: false };
      const previous = await this.get(at, { seq: entry.prev });
      if (!previous || previous.epoch !== head.epoch || previous.offset !== entry.offset - 1)
        return { entries, reached: false };
      entry = previous;
    }
  }

  private async get(
    at: ChannelLocation,
    query: { seq: number } | { last_by_subj: string },
  ): Promise<StoredEntry | null> {
    const message = await this.link.run('read', async () => {
      try {
        return await this.link.jsm.streams.getMessage(at.stream, query);
      } catch (error) {
        if (!isStreamNotFound(error)) throw error;
        this.streams.forget();
        return null;
      }
    });
    if (!message || message.subject !== at.subject) return null;
    return readEntry(message.seq, message.header, message.data) ?? null;
  }
}
