import type { EventLog, LogEvent, OccupancyStore } from '@switchboard/engine';
import {
  eventId,
  type EventBody,
  type LifecycleEvent,
  type LifecycleEventType,
  type UnsubscribeReason,
} from './lifecycle-event.js';

/** A connection as its `connect` event and its node-gone `disconnect` need it. */
export interface ClientRecord {
  readonly client: string;
  readonly user: string;
  readonly transport: string;
  /** Unix ms of the accepted connect. */
  readonly since: number;
}

/** Where stored events and failed appends are reported (the webhooks, `hooks.onEvent`, metrics). */
export interface EmitterSink {
  stored(event: LifecycleEvent): void;
  failed(type: LifecycleEventType, error: unknown): void;
}

/**
 * Occupancy keys, ranked: a dead node's holdings are evicted in this order, so a
 * channel's partition reads unsubscribe, member_removed, channel_vacated, and the
 * user's reads disconnect last.
 */
export const HoldingKind = { subscription: 'su:', member: 'pr:', channel: 'ch:', client: 'cl:' } as const;

/**
 * Turns what happens on this node into lifecycle events in the engine. Emitting
 * never blocks the caller: each call starts its engine step at once (so one
 * node's events reach the engine in call order) and reports the outcome to the
 * sink. Connections, subscriptions, presence members and channels are also
 * counted in the OccupancyStore, so that the cluster can end a dead node's
 * (NodeReaper) and so that channel_occupied/vacated and member_added/removed
 * are cluster-wide: each is appended in the same atomic step as its transition.
 */
export class LifecycleEmitter {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly nodeId: string,
    private readonly log: EventLog,
    private readonly occupancy: OccupancyStore,
    /** Types some consumer wants; others are not produced, nor counted. */
    private readonly wanted: ReadonlySet<LifecycleEventType>,
    private readonly sink: EmitterSink,
  ) {}

  connected(record: ClientRecord, details: { remoteAddress?: string; connInfo?: unknown }): void {
    if (!this.wanted.has('connect') && !this.wanted.has('disconnect')) return;
    const body: EventBody = {
      type: 'connect',
      client: record.client,
      user: record.user,
      transport: record.transport,
      ...(details.remoteAddress !== undefined && { remoteAddress: details.remoteAddress }),
      ...(details.connInfo !== undefined && { connInfo: details.connInfo }),
    };
    this.step(this.make(userKey(record), body), (e) =>
      this.occupancy.enter(HoldingKind.client + record.client, clientMember(record), this.nodeId, e),
    );
  }

  disconnected(record: ClientRecord, code: number, reason: string): void {
    if (!this.wanted.has('connect') && !this.wanted.has('disconnect')) return;
    const event = this.make(userKey(record), { ...disconnectBody(record, code, reason) });
    this.step(event, (e) =>
      this.occupancy.exit(HoldingKind.client + record.client, clientMember(record), this.nodeId, e),
    );
  }

  subscribed(record: Pick<ClientRecord, 'client' | 'user'>, channel: string): void {
    if (!this.wanted.has('subscribe') && !this.wanted.has('unsubscribe')) return;
    const event = this.make(channel, { type: 'subscribe', client: record.client, user: record.user, channel });
    this.step(event, (e) =>
      this.occupancy.enter(
        HoldingKind.subscription + record.client,
        subscriptionMember(record.user, channel),
        this.nodeId,
        e,
      ),
    );
  }

  unsubscribed(record: Pick<ClientRecord, 'client' | 'user'>, channel: string, reason: UnsubscribeReason): void {
    if (!this.wanted.has('subscribe') && !this.wanted.has('unsubscribe')) return;
    const event = this.make(channel, {
      type: 'unsubscribe',
      client: record.client,
      user: record.user,
      channel,
      reason,
    });
    this.step(event, (e) =>
      this.occupancy.exit(
        HoldingKind.subscription + record.client,
        subscriptionMember(record.user, channel),
        this.nodeId,
        e,
      ),
    );
  }

  /** This node's first local subscriber of `channel` (the hub's 0 → 1). */
  channelEntered(channel: string): void {
    if (!this.wanted.has('channel_occupied') && !this.wanted.has('channel_vacated')) return;
    this.step(this.make(channel, { type: 'channel_occupied', channel }), (e) =>
      this.occupancy.enter(HoldingKind.channel + channel, '', this.nodeId, e),
    );
  }

  /** This node's last local subscriber of `channel` left (the hub's 1 → 0). */
  channelExited(channel: string): void {
    if (!this.wanted.has('channel_occupied') && !this.wanted.has('channel_vacated')) return;
    this.step(this.make(channel, { type: 'channel_vacated', channel }), (e) =>
      this.occupancy.exit(HoldingKind.channel + channel, '', this.nodeId, e),
    );
  }

  /** One connection of `member` (its user id, or its client id when anonymous) joined a presence channel. */
  memberJoined(channel: string, member: string): void {
    if (!this.wanted.has('member_added') && !this.wanted.has('member_removed')) return;
    this.step(this.make(channel, { type: 'member_added', channel, user: member }), (e) =>
      this.occupancy.enter(HoldingKind.member + channel, member, this.nodeId, e),
    );
  }

  memberLeft(channel: string, member: string): void {
    if (!this.wanted.has('member_added') && !this.wanted.has('member_removed')) return;
    this.step(this.make(channel, { type: 'member_removed', channel, user: member }), (e) =>
      this.occupancy.exit(HoldingKind.member + channel, member, this.nodeId, e),
    );
  }

  published(
    record: Pick<ClientRecord, 'client' | 'user'>,
    channel: string,
    position: { offset: number; epoch: string },
    data: unknown,
  ): void {
    if (!this.wanted.has('publication')) return;
    const event = this.make(channel, {
      type: 'publication',
      client: record.client,
      user: record.user,
      channel,
      offset: position.offset,
      epoch: position.epoch,
      data,
    });
    this.step(event, async (e) => (e && (await this.log.append([e])), { first: true }));
  }

  /** A survivor ends one holding of a dead node (see NodeReaper): the event of its kind, if it was the last. */
  evict(node: string, key: string, member: string): Promise<void> {
    const event = this.goneEvent(key, member);
    if (!event) return this.occupancy.evict(key, member, node).then(() => {});
    return this.run(event, (e) => this.occupancy.evict(key, member, node, e));
  }

  /** Resolves once every step started so far has settled (a closing node, before its engine goes). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private goneEvent(key: string, member: string): LifecycleEvent | undefined {
    const rest = key.slice(3);
    switch (key.slice(0, 3)) {
      case HoldingKind.subscription: {
        const [user, channel] = JSON.parse(member) as [string, string];
        return this.wanted.has('unsubscribe')
          ? this.make(channel, { type: 'unsubscribe', client: rest, user, channel, reason: 'node-gone' })
          : undefined;
      }
      case HoldingKind.member:
        return this.wanted.has('member_removed')
          ? this.make(rest, { type: 'member_removed', channel: rest, user: member })
          : undefined;
      case HoldingKind.channel:
        return this.wanted.has('channel_vacated')
          ? this.make(rest, { type: 'channel_vacated', channel: rest })
          : undefined;
      case HoldingKind.client: {
        const [user, transport, since] = JSON.parse(member) as [string, string, number];
        const record = { client: rest, user, transport, since };
        return this.wanted.has('disconnect')
          ? this.make(userKey(record), disconnectBody(record, NODE_GONE_CODE, 'node-gone'))
          : undefined;
      }
    }
    return undefined;
  }

  private make(key: string, body: EventBody): LifecycleEvent {
    const time = Date.now();
    return { id: eventId(time), time, node: this.nodeId, key, ...body } as LifecycleEvent;
  }

  /** Starts an engine step now; the event counts as emitted once stored, and only if this type is wanted. */
  private step(
    event: LifecycleEvent,
    run: (e: LogEvent | undefined) => Promise<{ first?: boolean; last?: boolean }>,
  ): void {
    void this.run(event, run);
  }

  private run(
    event: LifecycleEvent,
    run: (e: LogEvent | undefined) => Promise<{ first?: boolean; last?: boolean }>,
  ): Promise<void> {
    const want = this.wanted.has(event.type);
    const done = run(want ? (event as unknown as LogEvent) : undefined).then(
      (r) => {
        if (want && (r.first || r.last)) this.sink.stored(event);
      },
      (error: unknown) => this.sink.failed(event.type, error),
    );
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
    return done;
  }
}

/** The close code of a `disconnect` whose node died: the connection closed without a handshake. */
const NODE_GONE_CODE = 1006;

function disconnectBody(record: ClientRecord, code: number, reason: string): EventBody {
  return {
    type: 'disconnect',
    client: record.client,
    user: record.user,
    transport: record.transport,
    code,
    reason,
    durationMs: Math.max(0, Date.now() - record.since),
  };
}

/** A user's events share a partition; an anonymous connection's are keyed by its client id. */
const userKey = (r: Pick<ClientRecord, 'client' | 'user'>) => (r.user !== '' ? `user:${r.user}` : `client:${r.client}`);
const clientMember = (r: ClientRecord) => JSON.stringify([r.user, r.transport, r.since]);
const subscriptionMember = (user: string, channel: string) => JSON.stringify([user, channel]);
