import type {
  Broker,
  HistoryQuery,
  HistoryResult,
  PresenceEntry,
  PresenceStats,
  PresenceStore,
  StreamPosition,
} from '@switchboard/engine';
import { JsonBytes, ReplyErrorCode, type PublicationPush } from '@switchboard/wire';
import { authorize, type ChannelPermissions, type PermissionAction } from '../auth/permissions.js';
import { CommandError, commandErrors } from '../errors.js';
import type { Namespaces, ResolvedChannel } from './namespaces.js';
import { toPublicationPush } from './publication-push.js';

/**
 * A client acting on a channel: what the access rules look at. The HTTP API acts
 * as the backend, with no actor, and only the namespace's existence and features
 * apply to it.
 */
export interface ChannelActor {
  readonly userId: string;
  readonly clientId: string;
  readonly permissions: ChannelPermissions | undefined;
  isSubscribed(channel: string): boolean;
}

export interface PublishRequest {
  /** The publishing client; absent for the backend (namespace `allowPublish` does not apply). */
  actor?: ChannelActor;
  idempotencyKey?: string;
  /** Runs after the access checks and before the size check (the `onPublish` hook): may replace the data. */
  transform?: (data: unknown) => Promise<unknown>;
}

export interface ChannelServiceOptions {
  idempotencyWindowMs: number;
  /** Called after each publish the broker accepted (the publications metric). */
  published(channel: string): void;
}

/**
 * The channel operations, written once for the command handlers and the HTTP
 * API: publish, history, presence and presence stats, with the namespace and
 * permission checks around them. Both paths therefore give the same reply error
 * for the same fault.
 */
export class ChannelService {
  constructor(
    private readonly namespaces: Namespaces,
    private readonly engine: { readonly broker: Broker; readonly presence: PresenceStore },
    private readonly options: ChannelServiceOptions,
  ) {}

  /** Throws 107 for a malformed name and 102 for an unknown namespace. */
  resolve(name: string): ResolvedChannel {
    return this.namespaces.resolve(name);
  }

  async publish(name: string, data: unknown, request: PublishRequest = {}): Promise<StreamPosition> {
    const channel = this.resolve(name);
    const { actor } = request;
    if (actor) {
      this.checkAccess(channel, 'publish', actor);
      if (!channel.options.allowPublish)
        throw commandErrors.permissionDenied('clients may not publish in this namespace');
    }
    const body = request.transform ? await request.transform(data) : data;
    const size = dataSize(body);
    if (size > channel.options.maxDataSize)
      throw commandErrors.limit(
        `publication data is ${size} bytes; this namespace takes at most ${channel.options.maxDataSize}`,
      );
    const { position } = await this.engine.broker.publish(name, body, {
      history: channel.options.history || undefined,
      idempotencyKey: request.idempotencyKey,
      idempotencyWindowMs: this.options.idempotencyWindowMs,
      publisher: actor && { userId: actor.userId, clientId: actor.clientId },
    });
    this.options.published(name);
    return position;
  }

  async history(
    name: string,
    query: HistoryQuery,
    actor?: ChannelActor,
  ): Promise<{ publications: PublicationPush[]; position: StreamPosition }> {
    const channel = this.readable(name, 'history', actor);
    if (!channel.options.history) throw commandErrors.notAvailable('history');
    const read = await this.engine.broker.history(name, query);
    if (read.gap)
      throw new CommandError(ReplyErrorCode.UnrecoverablePosition, 'history no longer continues from that position');
    return { publications: read.publications.map(toPublicationPush), position: read.position };
  }

  async removeHistory(name: string): Promise<void> {
    this.resolve(name);
    await this.engine.broker.removeHistory(name);
  }

  async presence(name: string, actor?: ChannelActor): Promise<PresenceEntry[]> {
    const channel = this.readable(name, 'presence', actor);
    if (!channel.options.presence) throw commandErrors.notAvailable('presence');
    if (channel.options.presenceMode === 'counts')
      throw commandErrors.notAvailable('the presence list (counts-only mode)');
    return this.engine.presence.get(name);
  }

  async presenceStats(name: string, actor?: ChannelActor): Promise<PresenceStats> {
    const channel = this.readable(name, 'presence', actor);
    if (!channel.options.presence) throw commandErrors.notAvailable('presence');
    return this.engine.presence.stats(name);
  }

  /** The raw stream read behind joins and catch-ups, which make their own checks. */
  read(name: string, query: HistoryQuery): Promise<HistoryResult> {
    return this.engine.broker.history(name, query);
  }

  /**
   * A client's access beyond the namespace rules: a personal channel is its owner's only, and the connection's
   * permissions (103).
   */
  checkAccess(channel: ResolvedChannel, action: PermissionAction, actor: ChannelActor): void {
    this.namespaces.assertOwnerMayRead(channel, actor.userId);
    authorize(actor, action, channel.channel);
  }

  /** Read access for a client: `checkAccess`, and `token` namespaces are readable only by their subscribers. */
  private readable(name: string, action: PermissionAction, actor: ChannelActor | undefined): ResolvedChannel {
    const channel = this.resolve(name);
    if (!actor) return channel;
    this.checkAccess(channel, action, actor);
    if (channel.options.allowSubscribe === 'token' && !actor.isSubscribed(name)) throw commandErrors.notSubscribed();
    return channel;
  }
}

/**
 * A publication's data size as the namespace limit counts it: a byte array's length, else its JSON text in UTF-8 (bytes
 * inside it as their `{"$bytes"}` form).
 */
function dataSize(data: unknown): number {
  if (data instanceof Uint8Array) return data.byteLength;
  return Buffer.byteLength(JsonBytes.stringify(data) ?? '');
}
