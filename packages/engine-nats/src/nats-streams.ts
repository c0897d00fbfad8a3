import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { NatsLink } from './nats-link.js';
import type { NatsNames, Profile } from './nats-names.js';

export interface StreamSettings {
  /** Copies of every stream (1 on a single server, 3 on a 3-server cluster). */
  replicas: number;
  storage: 'file' | 'memory';
  /** JetStream's `duplicate_window` (stream-wide; capped by the stream's `max_age`). */
  idempotencyWindowMs: number;
}

/** "stream name already in use with a different configuration": someone (an operator, an older node) made it first. */
const STREAM_NAME_IN_USE = 10058;
const STREAM_NOT_FOUND = 10059;
/** How stale the list of history streams may be when a read must find an unknown channel. */
const LIST_MAX_AGE_MS = 1000;

/**
 * The engine's streams: one per history profile (size, TTL), shared by all channels
 * with that profile, plus `<p>_live` for keyed history-less publishes. Created on
 * first use; forgotten after a reconnect, since a server that lost its storage lost them.
 */
export class NatsStreams {
  private readonly ensured = new Map<string, Promise<string>>();
  private listed: { at: number; profiles: Profile[] } = { at: 0, profiles: [] };

  constructor(
    private readonly link: NatsLink,
    private readonly names: NatsNames,
    private readonly settings: StreamSettings,
  ) {
    link.onReconnect(() => this.forget());
  }

  /** The profile's stream, created if missing; resolves with its name. */
  history(profile: Profile): Promise<string> {
    const name = this.names.historyStream(profile);
    const maxAge = profile.ttlMs;
    return this.ensure(name, {
      subjects: [this.names.historySubjects(profile)],
      // An ensured stream's init marker takes a place until `size` publications push it out, so exactly `size` are
      // kept.
      max_msgs_per_subject: profile.size,
      max_age: nanos(maxAge),
      duplicate_window: nanos(this.duplicateWindowMs(profile)),
      republish: { src: this.names.historySubjects(profile), dest: this.names.republishDestination },
    });
  }

  /** JetStream requires `duplicate_window <= max_age`. */
  duplicateWindowMs(profile: Profile): number {
    return profile.ttlMs > 0
      ? Math.min(this.settings.idempotencyWindowMs, profile.ttlMs)
      : this.settings.idempotencyWindowMs;
  }

  /** The stream that only de-duplicates keyed history-less publishes (one message per channel, kept for the window). */
  live(): Promise<string> {
    return this.ensure(this.names.liveStream, {
      subjects: [this.names.liveSubjects],
      max_msgs_per_subject: 1,
      max_age: nanos(this.settings.idempotencyWindowMs),
      duplicate_window: nanos(this.settings.idempotencyWindowMs),
      republish: { src: this.names.liveSubjects, dest: this.names.republishDestination },
    });
  }

  /** Idempotency claims: a claim and its record per key, kept for the window, never delivered. */
  keys(): Promise<string> {
    return this.ensure(this.names.keysStream, {
      subjects: [this.names.keysSubjects],
      max_msgs_per_subject: 2,
      max_age: nanos(this.settings.idempotencyWindowMs),
      duplicate_window: nanos(Math.min(this.settings.idempotencyWindowMs, 60_000)),
    });
  }

  /** The history profiles that have a stream, listed at most every second. */
  async profiles(): Promise<Profile[]> {
    if (Date.now() - this.listed.at > LIST_MAX_AGE_MS) {
      const profiles: Profile[] = [];
      await this.link.run('list streams', async () => {
        for await (const name of this.link.jsm.streams.names()) {
          const profile = this.names.profileOfStream(name);
          if (profile) profiles.push(profile);
        }
      });
      this.listed = { at: Date.now(), profiles };
    }
    return this.listed.profiles;
  }

  /** Called when a command found a stream missing (deleted, or lost with a server's storage). */
  forget(): void {
    this.ensured.clear();
    this.listed.at = 0;
  }

  /**
   * Waits until a replicated stream answers: `streams.add` returns before the
   * stream's Raft group has a leader that serves requests, and until then gets
   * and publishes to it go unanswered and time out. Any answer to a short
   * message get (even "no message") means it is serving.
   */
  async leaderOf(name: string): Promise<void> {
    if (this.settings.replicas === 1) return;
    const probe = JSON.stringify({ seq: 1 });
    for (const start = Date.now(); ; ) {
      try {
        await this.link.nc.request(`$JS.API.STREAM.MSG.GET.${name}`, probe, { timeout: 250 });
        return;
      } catch (error) {
        if (Date.now() - start > 2 * this.link.commandTimeoutMs) throw error;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  private ensure(name: string, config: Partial<StreamConfig>): Promise<string> {
    let made = this.ensured.get(name);
    if (!made) {
      made = this.link.run(`create stream ${name}`, async () => {
        try {
          await this.link.jsm.streams.add({
            name,
            retention: RetentionPolicy.Limits,
            storage: this.settings.storage === 'memory' ? StorageType.Memory : StorageType.File,
            num_replicas: this.settings.replicas,
            discard: DiscardPolicy.Old,
            allow_direct: true,
            ...config,
          });
        } catch (error) {
          if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
        }
        await this.leaderOf(name);
        return name;
      });
      this.ensured.set(name, made);
      made.catch(() => this.ensured.delete(name));
    }
    return made;
  }
}

/** The stream was deleted (or lost): callers forget it and create it again. */
export const isStreamNotFound = (error: unknown): boolean =>
  error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND;
