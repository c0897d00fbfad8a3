import {
  ReplyErrorCode,
  type ClientInfo,
  type Command,
  type Push,
  type Reply,
  type ReplyError,
} from '@switchboard/wire';
import { TokenBucket } from '../../sessions/token-bucket.js';
import type { PusherChannel, PusherChannels } from './pusher-channels.js';
import {
  isEnvelope,
  pusherFrame,
  TERMINATE_EVENT,
  type MemberData,
  type PusherCodec,
  type PusherEnvelope,
} from './pusher-codec.js';
import { PusherErrorCode, pusherCloseCode } from './pusher-error-code.js';
import { PresenceMembers } from './presence-members.js';
import { authMatches, socketIdOf } from './pusher-signature.js';
import { countable, SUBSCRIPTION_COUNT_EVENT } from './subscription-counts.js';

/** What the connection must do after an input: commands for its session, frames for its client, maybe a close. */
export interface PusherOutput {
  commands: Command[];
  frames: string[];
  close?: { code: number; reason: string };
}

/** Server activity timeout told in `connection_established` (s): pusher-js pings after this much silence. */
const ACTIVITY_TIMEOUT_S = 120;

type Pending =
  | { kind: 'connect' }
  | { kind: 'subscribe' | 'members' | 'cache' | 'count'; state: ChannelState }
  | { kind: 'client-event'; channel: string }
  | { kind: 'quiet' };

/** One subscription as the client sees it. Shared pushes wait in `early` until `subscription_succeeded` is sent. */
interface ChannelState {
  channel: PusherChannel;
  /**
   * The subscribe's token (a presence channel's verified `channel_data`), to subscribe again after a server-side
   * unsubscribe.
   */
  token: string | undefined;
  live: boolean;
  /** This connection's presence user. */
  userId?: string;
  /** Presence: who is in, counted per user (one member event per user). */
  members?: PresenceMembers;
  /** A cache channel's last event is still being read. */
  cachePending?: boolean;
  early: Push[];
}

/** The app's parts a connection uses. */
export interface PusherAppContext {
  readonly channels: PusherChannels;
  readonly codec: PusherCodec;
}

const done = (output: Partial<PusherOutput> = {}): PusherOutput => ({
  commands: output.commands ?? [],
  frames: output.frames ?? [],
  close: output.close,
});
const error = (code: number | null, message: string) => pusherFrame('pusher:error', { code, message });

/**
 * One Pusher connection, sans I/O: the client's frames in, the session's
 * commands out; the session's replies and pushes in, the client's frames out.
 * It holds what Pusher's protocol needs per connection (the socket id, pending
 * subscriptions, each presence channel's members) and verifies every signature
 * (channel auth, sign-in) before a command is made; the session then runs the
 * commands like any other, in this app's namespaces.
 */
export class PusherConnection {
  private socketId: string | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly subscribed = new Map<string, ChannelState>();
  /** The signed-in user (`pusher:signin`). */
  private user: string | undefined;
  /** `clientEventsPerSecond`, with a burst of as many. */
  private readonly clientEvents: TokenBucket;

  constructor(
    private readonly app: PusherAppContext,
    now: number,
  ) {
    const perSecond = app.channels.app.clientEventsPerSecond;
    this.clientEvents = new TokenBucket({ perSecond, burst: perSecond }, now);
  }

  /** The implicit `connect` that `connection_established` answers. */
  opening(): Command[] {
    return [this.command('connect', {}, { kind: 'connect' })];
  }

  /** One text frame from the client, at `now` (ms, for the client-event rate). */
  receive(text: string, now: number): PusherOutput {
    let frame: { event?: unknown; channel?: unknown; data?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return done({ frames: [error(null, 'frames are JSON objects')] });
    }
    if (typeof frame !== 'object' || frame === null || typeof frame.event !== 'string')
      return done({ frames: [error(null, 'a frame has an "event"')] });
    if (this.socketId === undefined) return done();
    const data =
      typeof frame.data === 'string' && frame.event.startsWith('pusher:') ? parseJson(frame.data) : frame.data;
    const fields = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    switch (frame.event) {
      case 'pusher:ping':
        return done({ frames: [pusherFrame('pusher:pong', {})] });
      case 'pusher:pong':
        return done();
      case 'pusher:subscribe':
        return this.subscribe(fields);
      case 'pusher:unsubscribe': {
        const state = typeof fields.channel === 'string' ? this.subscribed.get(fields.channel) : undefined;
        if (!state) return done();
        this.subscribed.delete(state.channel.name);
        return done({
          commands: [this.command('unsubscribe', { channel: state.channel.internal }, { kind: 'quiet' })],
        });
      }
      case 'pusher:signin':
        return this.signin(fields);
      default:
        return frame.event.startsWith('client-')
          ? this.clientEvent(frame.event, frame.channel, frame.data, now)
          : done();
    }
  }

  /** The session's reply to one of this connection's commands. */
  reply(reply: Reply): PusherOutput {
    const pending = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (!pending) return done();
    const failed = 'error' in reply ? reply.error : undefined;
    switch (pending.kind) {
      case 'connect': {
        if (failed)
          return done({
            frames: [error(PusherErrorCode.Unauthorized, failed.message)],
            close: { code: PusherErrorCode.Unauthorized, reason: failed.message },
          });
        this.socketId = socketIdOf((reply as { result: { client: string } }).result.client);
        return done({
          frames: [
            pusherFrame('pusher:connection_established', {
              socket_id: this.socketId,
              activity_timeout: ACTIVITY_TIMEOUT_S,
            }),
          ],
        });
      }
      case 'subscribe':
        return this.subscribed.get(pending.state.channel.name) === pending.state
          ? this.subscribeAnswered(pending.state, failed)
          : done();
      case 'members':
        return this.subscribed.get(pending.state.channel.name) === pending.state && !failed
          ? this.membersAnswered(pending.state, (reply as { result: { clients: ClientInfo[] } }).result.clients)
          : done();
      case 'cache':
        return this.subscribed.get(pending.state.channel.name) === pending.state
          ? this.cacheAnswered(
              pending.state,
              failed
                ? []
                : (reply as { result: { publications: { offset: number; data: unknown }[] } }).result.publications,
            )
          : done();
      case 'count':
        return this.subscribed.get(pending.state.channel.name) === pending.state && !failed
          ? done({
              frames: [
                pusherFrame(
                  SUBSCRIPTION_COUNT_EVENT,
                  { subscription_count: (reply as { result: { clients: number } }).result.clients },
                  pending.state.channel.name,
                ),
              ],
            })
          : done();
      case 'client-event':
        return failed
          ? done({ frames: [error(null, `client event refused on ${pending.channel}: ${failed.message}`)] })
          : done();
      case 'quiet':
        return done();
    }
  }

  /**
   * A push for this session alone (a publication delivered while joining or catching up, a server-side unsubscribe).
   */
  push(push: Push): PusherOutput {
    if (push.push === 'unsubscribe') return this.resubscribe(push.channel);
    const verdict = this.shared(push);
    if (verdict !== true) return verdict;
    const frame = this.app.codec.frameOf(push);
    return done({ frames: frame === undefined ? [] : [frame] });
  }

  /**
   * Is a shared message (encoded once per app) for this connection? `true`: write
   * its bytes; otherwise what to do instead (usually nothing). Holds a
   * subscription's messages until its `subscription_succeeded`, leaves out the
   * sender's own events, and sends one member event per user.
   */
  shared(push: Push): PusherOutput | true {
    const name = 'channel' in push ? this.app.channels.nameOf(push.channel) : undefined;
    const state = name === undefined ? undefined : this.subscribed.get(name);
    if (!state) return done();
    if (!state.live || (state.cachePending && push.push === 'publication')) {
      state.early.push(push);
      return done();
    }
    if (push.push === 'publication') {
      const envelope = push.pub.data;
      if (!isEnvelope(envelope) || envelope.x === this.socketId) return done();
      if (envelope.e === TERMINATE_EVENT && state.channel.kind === 'user') {
        return done({
          frames: [error(PusherErrorCode.Unauthorized, 'connections terminated')],
          close: { code: PusherErrorCode.Unauthorized, reason: 'connections terminated' },
        });
      }
      return true;
    }
    if (push.push === 'join' && state.members) return state.members.joined(push.info) ? true : done();
    // A leave carries no channel data: the user is known from the join, so the frame is made here.
    const gone = push.push === 'leave' && state.members ? state.members.left(push.info.clientId) : undefined;
    return done({
      frames:
        gone === undefined
          ? []
          : [pusherFrame('pusher_internal:member_removed', { user_id: gone }, state.channel.name)],
    });
  }

  /** The close a session's disconnect code becomes, with the `pusher:error` that tells it first. */
  closing(code: number, reason: string): { code: number; frame: string } {
    const pusherCode = pusherCloseCode(code);
    return { code: pusherCode, frame: error(pusherCode, reason) };
  }

  private subscribe(fields: Record<string, unknown>): PusherOutput {
    const name = fields.channel;
    const channel = this.app.channels.parse(name);
    const refuse = (type: string, why: string, status: number) =>
      done({
        frames: [
          pusherFrame(
            'pusher:subscription_error',
            { type, error: why, status },
            typeof name === 'string' ? name : undefined,
          ),
        ],
      });
    if (!channel) return refuse('InvalidChannel', 'invalid channel name', 400);
    if (this.subscribed.has(channel.name)) return done();
    const { key, secret, maxPresenceMemberBytes } = this.app.channels.app;
    let token: string | undefined;
    let userId: string | undefined;
    if (channel.kind === 'private' || channel.kind === 'encrypted') {
      if (!authMatches(fields.auth, key, secret, `${this.socketId}:${channel.name}`))
        return refuse('AuthError', 'invalid signature', 401);
    } else if (channel.kind === 'presence') {
      const raw = fields.channel_data;
      if (typeof raw !== 'string' || !authMatches(fields.auth, key, secret, `${this.socketId}:${channel.name}:${raw}`))
        return refuse('AuthError', 'invalid signature', 401);
      const member = toMember(parseJson(raw));
      if (!member) return refuse('AuthError', 'channel_data needs a user_id', 400);
      if (Buffer.byteLength(JSON.stringify(member.user_info ?? null)) > maxPresenceMemberBytes)
        return refuse('LimitReached', `user_info is over ${maxPresenceMemberBytes} bytes`, 413);
      token = JSON.stringify(member);
      userId = member.user_id;
    } else if (
      channel.kind === 'user' &&
      (this.user === undefined || channel.name !== `#server-to-user-${this.user}`)
    ) {
      return refuse('AuthError', 'sign in as this user first', 401);
    }
    const state: ChannelState = { channel, token, live: false, early: [], userId };
    this.subscribed.set(channel.name, state);
    return done({ commands: this.subscribeCommands(state) });
  }

  private subscribeCommands(state: ChannelState): Command[] {
    const { internal, kind, cache } = state.channel;
    const commands = [
      this.command(
        'subscribe',
        state.token === undefined ? { channel: internal } : { channel: internal, token: state.token },
        { kind: 'subscribe', state },
      ),
    ];
    if (kind === 'presence') commands.push(this.command('presence', { channel: internal }, { kind: 'members', state }));
    if (cache) {
      state.cachePending = true;
      commands.push(this.command('history', { channel: internal, limit: 1, reverse: true }, { kind: 'cache', state }));
    }
    return commands;
  }

  private subscribeAnswered(state: ChannelState, failed: ReplyError | undefined): PusherOutput {
    if (failed) {
      this.subscribed.delete(state.channel.name);
      const [type, status] =
        failed.code === ReplyErrorCode.LimitExceeded
          ? ['LimitReached', 403]
          : failed.code === ReplyErrorCode.PermissionDenied
            ? ['AuthError', 403]
            : ['ServerError', 500];
      return done({
        frames: [pusherFrame('pusher:subscription_error', { type, error: failed.message, status }, state.channel.name)],
      });
    }
    // A presence channel succeeds with its member list, read next.
    if (state.channel.kind === 'presence') return done();
    const live = this.goLive(state, [pusherFrame('pusher_internal:subscription_succeeded', {}, state.channel.name)]);
    // With subscriptionCount, a new subscriber reads its count at once; changes come as shared pushes.
    if (this.app.channels.app.subscriptionCount && countable(state.channel.kind))
      live.commands.push(this.command('presence_stats', { channel: state.channel.internal }, { kind: 'count', state }));
    return live;
  }

  private membersAnswered(state: ChannelState, clients: ClientInfo[]): PusherOutput {
    state.members = new PresenceMembers(clients);
    const presence = state.members.list(clients);
    return this.goLive(state, [
      pusherFrame('pusher_internal:subscription_succeeded', { presence }, state.channel.name),
    ]);
  }

  /**
   * The last event (or `pusher:cache_miss`), then what arrived meanwhile: an event already cached is not sent twice.
   */
  private cacheAnswered(state: ChannelState, last: { offset: number; data: unknown }[]): PusherOutput {
    state.cachePending = false;
    const early = state.early;
    state.early = [];
    const frames: string[] = [];
    const cached = last[0];
    const seenLive = early.some((p) => p.push === 'publication' && p.pub.offset >= (cached?.offset ?? Infinity));
    if (cached && isEnvelope(cached.data) && cached.data.e !== TERMINATE_EVENT) {
      if (!seenLive) frames.push(pusherFrame(cached.data.e, cached.data.d, state.channel.name, cached.data.u));
    } else {
      frames.push(JSON.stringify({ event: 'pusher:cache_miss', channel: state.channel.name }));
    }
    return this.flush(early, frames);
  }

  private goLive(state: ChannelState, frames: string[]): PusherOutput {
    state.live = true;
    if (state.cachePending) return done({ frames });
    const early = state.early;
    state.early = [];
    return this.flush(early, frames);
  }

  /** Replays the pushes held for a subscription, through the same rules as live ones. */
  private flush(early: Push[], frames: string[]): PusherOutput {
    const output = done({ frames });
    for (const push of early) {
      const next = this.push(push);
      output.frames.push(...next.frames);
      output.commands.push(...next.commands);
      output.close ??= next.close;
    }
    return output;
  }

  /** The server ended a subscription (publications lost between nodes: 3010): subscribed again, as the client would. */
  private resubscribe(internal: string): PusherOutput {
    const name = this.app.channels.nameOf(internal);
    const old = name === undefined ? undefined : this.subscribed.get(name);
    if (!old) return done();
    const state: ChannelState = { channel: old.channel, token: old.token, live: false, early: [], userId: old.userId };
    this.subscribed.set(old.channel.name, state);
    return done({ commands: this.subscribeCommands(state) });
  }

  private signin(fields: Record<string, unknown>): PusherOutput {
    const { key, secret } = this.app.channels.app;
    const raw = fields.user_data;
    const user =
      typeof raw === 'string' && authMatches(fields.auth, key, secret, `${this.socketId}::user::${raw}`)
        ? parseJson(raw)
        : undefined;
    const id = (user as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || id === '') {
      return done({
        frames: [error(PusherErrorCode.Unauthorized, 'invalid sign-in')],
        close: { code: PusherErrorCode.Unauthorized, reason: 'invalid sign-in' },
      });
    }
    this.user = id;
    return done({ frames: [pusherFrame('pusher:signin_success', { user_data: raw })] });
  }

  private clientEvent(event: string, name: unknown, data: unknown, now: number): PusherOutput {
    const app = this.app.channels.app;
    const state = typeof name === 'string' ? this.subscribed.get(name) : undefined;
    const refuse = (why: string) => done({ frames: [error(null, why)] });
    if (!app.clientEvents) return refuse('client events are not enabled for this app');
    if (!state?.live) return refuse(`not subscribed to ${String(name)}`);
    if (state.channel.kind !== 'private' && state.channel.kind !== 'presence')
      return refuse('client events go on private and presence channels only');
    const size = Buffer.byteLength(typeof data === 'string' ? data : (JSON.stringify(data) ?? ''));
    if (size > app.maxEventBytes) return refuse(`event data is over ${app.maxEventBytes} bytes`);
    if (!this.clientEvents.take(now)) {
      return done({
        frames: [
          error(PusherErrorCode.ClientEventRate, `at most ${app.clientEventsPerSecond} client events per second`),
        ],
      });
    }
    const envelope: PusherEnvelope = { e: event, d: data, x: this.socketId };
    if (state.userId !== undefined) envelope.u = state.userId;
    return done({
      commands: [
        this.command(
          'publish',
          { channel: state.channel.internal, data: envelope },
          { kind: 'client-event', channel: state.channel.name },
        ),
      ],
    });
  }

  private command<M extends Exclude<Command['method'], 'send'>>(
    method: M,
    params: Extract<Command, { method: M }>['params'],
    pending: Pending,
  ): Command {
    const id = this.nextId++;
    this.pending.set(id, pending);
    return { id, method, params } as Command;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `channel_data` as Pusher defines it: a `user_id` (a number is taken as its text) and any `user_info`. */
function toMember(value: unknown): MemberData | undefined {
  const id = (value as { user_id?: unknown } | undefined)?.user_id;
  if (!(typeof id === 'string' && id !== '') && typeof id !== 'number') return undefined;
  const info = (value as { user_info?: unknown }).user_info;
  return info === undefined ? { user_id: String(id) } : { user_id: String(id), user_info: info };
}
