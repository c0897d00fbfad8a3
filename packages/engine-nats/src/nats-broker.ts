import { randomUUID } from 'node:crypto';
import {
  EngineUnavailableError,
  type Broker,
  type BrokerHandler,
  type HistoryQuery,
  type HistoryResult,
  type PublishOptions,
  type PublishResult,
  type StreamPosition,
} from '@switchboard/engine';
import { JetStreamApiError } from '@nats-io/jetstream';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { AppendQueue } from './append-queue.js';
import { IdempotencyClaims } from './idempotency-claims.js';
import { NatsHistoryReader, type ChannelLocation } from './nats-history-reader.js';
import type { NatsLink } from './nats-link.js';
import { NatsNames, profileOf, type Profile } from './nats-names.js';
import { encodeBody, publicationHeaders, readEntry, toPublication, type StoredEntry } from './nats-publication.js';
import type { NatsStreams } from './nats-streams.js';

/** JetStream's answer when `Nats-Expected-Last-Subject-Sequence` is not the subject's last sequence. */
const WRONG_LAST_SEQUENCE = 10071;
/** Attempts of one publish under contention before it fails with 115. */
const MAX_ATTEMPTS = 50;
/** Channels whose head (and profile) a node remembers. */
const CACHE_LIMIT = 50_000;

const freshEpoch = () => randomUUID().slice(0, 8);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How often publishes had to retry: `conflicts / publishes` is the retry rate. */
export interface PublishCounters {
  publishes: number;
  /** Publishes refused because another node appended first (each cost one more round trip). */
  conflicts: number;
}

/**
 * The Broker over JetStream. A channel is one subject of its profile's shared
 * stream. A publish appends with `Nats-Expected-Last-Subject-Sequence` set to the
 * channel's head as this node last saw it, carrying the next offset and the
 * epoch in headers, and a `Nats-Msg-Id` naming that offset (see `append`); if
 * another node appended first, JetStream refuses (10071) or de-duplicates it, and
 * the node re-reads the head and tries again, so offsets stay contiguous without a
 * lock. Idempotency keys are claimed apart (IdempotencyClaims). A new epoch starts exactly when the subject is empty
 * (never written, purged, or every message aged out), so a stale position never matches.
 *
 * Delivery is only through the streams' RePublish, which forwards stored messages
 * in stream order: a publish JetStream refused or de-duplicated never reaches a
 * node (core subscribers of the ingest subject would see those too).
 */
export class NatsBroker implements Broker {
  readonly counters: PublishCounters = { publishes: 0, conflicts: 0 };
  private readonly subscriptions = new Map<string, Subscription>();
  /** The last head this node appended or read, per channel; a stale one costs a retry. */
  private readonly heads = new Map<string, StoredEntry & { stream: string; at: number }>();
  /** The profile a channel was last published or ensured with, for reads that do not say. */
  private readonly profiles = new Map<string, Profile>();
  private readonly reader: NatsHistoryReader;
  private readonly claims: IdempotencyClaims;
  private readonly appends = new AppendQueue();

  constructor(
    private readonly link: NatsLink,
    private readonly names: NatsNames,
    private readonly streams: NatsStreams,
    private readonly handler: BrokerHandler,
  ) {
    this.reader = new NatsHistoryReader(link, streams);
    this.claims = new IdempotencyClaims(link, names, streams);
    link.onReconnect(() => {
      this.heads.clear(); // the server may have lost its storage, and stream sequences start again
      handler.onDeliveryUncertain();
    });
  }

  async publish(channel: string, data: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    const body = encodeBody(data, options.publisher);
    const key = options.idempotencyKey;
    if (!options.history || options.history.size <= 0)
      return this.publishLive(channel, body, key === undefined ? undefined : `${NatsNames.token(channel)}:${key}`);
    const profile = profileOf(options.history);
    remember(this.profiles, channel, profile);
    const at = await this.location(profile, channel);
    this.counters.publishes++;
    if (key === undefined) return { position: await this.append(channel, profile, at, body), duplicate: false };
    return this.claims.publishOnce(channel, key, {
      append: () => this.append(channel, profile, at, body, key),
      find: async () => {
        const found = await this.reader.find(at, key);
        return found && { offset: found.offset, epoch: found.epoch };
      },
    });
  }

  /**
   * Appends at the channel's next offset. Two guards keep offsets unique: the
   * expected last subject sequence (exact on one server), and a `Nats-Msg-Id` made
   * of channel, epoch and offset, so a second append at the same offset is
   * de-duplicated. The second is needed on clustered 2.9 servers, which accept
   * concurrent appends expecting the same non-zero subject sequence
   * (nats-server #4320 family; seen here on 2.9.10). A cached head is used only
   * while younger than half the duplicate window, so the message that took its
   * next offset is still remembered by it.
   */
  private append(
    channel: string,
    profile: Profile,
    at: ChannelLocation,
    body: string,
    key?: string,
  ): Promise<StreamPosition> {
    return this.appends.run(channel, () => this.appendNow(channel, profile, at, body, key));
  }

  private async appendNow(
    channel: string,
    profile: Profile,
    at: ChannelLocation,
    body: string,
    key?: string,
  ): Promise<StreamPosition> {
    const cached = this.heads.get(channel);
    const fresh =
      cached && cached.stream === at.stream && Date.now() - cached.at < this.streams.duplicateWindowMs(profile) / 2;
    let head: StoredEntry | null = fresh ? cached : await this.reader.head(at);
    for (let attempt = 1; ; attempt++) {
      const offset = head ? head.offset + 1 : 1;
      const epoch = head ? head.epoch : freshEpoch();
      const expected = head ? head.seq : 0;
      const msgID = `${NatsNames.token(channel)}.${epoch}.${offset}`;
      let ack;
      try {
        ack = await this.link.run('publish', () =>
          this.link.js.publish(at.subject, body, {
            headers: publicationHeaders(offset, epoch, expected, { key }),
            msgID,
            expect: { lastSubjectSequence: expected },
          }),
        );
      } catch (error) {
        this.heads.delete(channel);
        if (!(error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE)) {
          // a missing stream answers "no responders"
          if (error instanceof EngineUnavailableError) this.streams.forget();
          throw error;
        }
      }
      if (ack && !ack.duplicate) {
        remember(this.heads, channel, {
          stream: at.stream,
          at: Date.now(),
          seq: ack.seq,
          offset,
          epoch,
          prev: expected,
          marker: false,
          data: new Uint8Array(),
        });
        return { offset, epoch };
      }
      // Another node appended first (refused, or de-duplicated by offset).
      if (attempt >= MAX_ATTEMPTS)
        throw new EngineUnavailableError(`nats: ${channel} stayed contended for ${MAX_ATTEMPTS} attempts`);
      this.counters.conflicts++;
      // full jitter, so the nodes' next tries spread
      if (attempt > 2) await sleep(Math.random() * Math.min(2 ** attempt, 50));
      head = await this.reader.head(at);
    }
  }

  async subscribe(channel: string): Promise<void> {
    const fresh = !this.subscriptions.has(channel);
    if (fresh) {
      const subscription = this.link.nc.subscribe(this.names.delivery(channel), {
        callback: (error, message) => {
          if (!error) this.deliver(channel, message);
        },
      });
      this.subscriptions.set(channel, subscription);
    }
    // The server has the interest once a round trip has passed; a cluster's others a moment later.
    await this.link.run('subscribe', () => this.link.nc.flush());
    if (fresh) await this.link.settleRoutes();
  }

  async unsubscribe(channel: string): Promise<void> {
    this.subscriptions.get(channel)?.unsubscribe();
    this.subscriptions.delete(channel);
  }

  async history(channel: string, query: HistoryQuery = {}): Promise<HistoryResult> {
    let found: { at: ChannelLocation; head: StoredEntry | null } | undefined;
    if (query.ensure && query.ensure.size > 0) {
      const profile = profileOf(query.ensure);
      remember(this.profiles, channel, profile);
      const at = await this.location(profile, channel);
      found = { at, head: (await this.reader.head(at)) ?? (await this.createMarker(at)) };
    } else {
      found = await this.locate(channel);
    }
    if (!found?.head) return { publications: [], position: { offset: 0, epoch: '' }, gap: query.since !== undefined };
    return this.reader.read(channel, found.at, found.head, query);
  }

  async removeHistory(channel: string): Promise<void> {
    this.heads.delete(channel);
    const profiles = await this.streams.profiles();
    await this.link.run('remove history', async () => {
      await Promise.all(
        profiles.map((p) =>
          this.link.jsm.streams
            .purge(this.names.historyStream(p), { filter: this.names.historySubject(p, channel) })
            .catch((error: unknown) => {
              if (!(error instanceof JetStreamApiError && error.code === 10059)) throw error;
            }),
        ),
      );
    });
  }

  async close(): Promise<void> {
    for (const channel of [...this.subscriptions.keys()]) await this.unsubscribe(channel);
  }

  /** A message RePublish forwarded (or a history-less publish). Init markers are not publications. */
  private deliver(channel: string, message: Msg): void {
    const entry = readEntry(0, message.headers, message.data);
    if (entry && !entry.marker) this.handler.onPublication(toPublication(channel, entry));
  }

  /** No history: straight to the delivery subject, or through the live stream when a key must be de-duplicated. */
  private async publishLive(channel: string, body: string, msgID: string | undefined): Promise<PublishResult> {
    const position = { offset: 0, epoch: '' };
    const headers = publicationHeaders(0, '', 0);
    if (msgID === undefined) {
      await this.link.run('publish', async () => this.link.nc.publish(this.names.delivery(channel), body, { headers }));
      return { position, duplicate: false };
    }
    await this.streams.live();
    const ack = await this.link.run('publish', () =>
      this.link.js.publish(this.names.liveSubject(channel), body, { headers, msgID }),
    );
    return { position, duplicate: ack.duplicate };
  }

  /**
   * An ensuring read of an empty channel writes an init marker (offset 0, a new epoch); if another node did first, its
   * head wins.
   */
  private async createMarker(at: ChannelLocation): Promise<StoredEntry | null> {
    const epoch = freshEpoch();
    try {
      const ack = await this.link.run('ensure', () =>
        this.link.js.publish(at.subject, '{}', {
          headers: publicationHeaders(0, epoch, 0, { marker: true }),
          expect: { lastSubjectSequence: 0 },
        }),
      );
      return { seq: ack.seq, offset: 0, epoch, prev: 0, marker: true, data: new Uint8Array() };
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE) return this.reader.head(at);
      throw error;
    }
  }

  private async location(profile: Profile, channel: string): Promise<ChannelLocation> {
    return { stream: await this.streams.history(profile), subject: this.names.historySubject(profile, channel) };
  }

  /** A read that names no profile: the one this node knows for the channel, else every history stream's. */
  private async locate(channel: string): Promise<{ at: ChannelLocation; head: StoredEntry | null } | undefined> {
    const known = this.profiles.get(channel);
    const here = (p: Profile): ChannelLocation => ({
      stream: this.names.historyStream(p),
      subject: this.names.historySubject(p, channel),
    });
    if (known) {
      const head = await this.reader.head(here(known));
      if (head) return { at: here(known), head };
    }
    const candidates = (await this.streams.profiles()).filter(
      (p) => !known || p.size !== known.size || p.ttlMs !== known.ttlMs,
    );
    const heads = await Promise.all(
      candidates.map(async (p) => ({ at: here(p), head: await this.reader.head(here(p)) })),
    );
    const hit = heads.find((h) => h.head !== null);
    if (hit) {
      remember(this.profiles, channel, candidates[heads.indexOf(hit)]);
      return hit;
    }
    return known ? { at: here(known), head: null } : undefined;
  }
}

/** A bounded map: the oldest entry goes when it is full. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > CACHE_LIMIT) map.delete(map.keys().next().value as string);
}
