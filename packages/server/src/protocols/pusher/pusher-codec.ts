import { WireError, type Command, type ClientInfo, type Push, type Reply } from '@switchboard/wire';
import type { ClientProtocol } from '../../transports/transport.js';
import type { PusherChannels } from './pusher-channels.js';

/**
 * A Pusher event as it is stored and published (the publication's data): its
 * name, its data as the trigger gave it, and for client events the sender's
 * `socket_id` (never sent back to it) and, on presence channels, `user_id`.
 */
export interface PusherEnvelope {
  e: string;
  d: unknown;
  /** The socket that must not receive it (a client event's sender, the REST `socket_id`). */
  x?: string;
  u?: string;
}

/** The event a terminated user's connections receive on their `#server-to-user-` channel: they close. */
export const TERMINATE_EVENT = 'pusher_internal:terminate';

/** A presence member's channel info (the entry's `chanInfo`): the verified `channel_data`. */
export interface MemberData {
  user_id: string;
  user_info?: unknown;
}

export function isEnvelope(data: unknown): data is PusherEnvelope {
  return typeof data === 'object' && data !== null && typeof (data as PusherEnvelope).e === 'string';
}

export function memberOf(info: ClientInfo): MemberData | undefined {
  const data = (info as ClientInfo & { chanInfo?: MemberData }).chanInfo;
  return typeof data?.user_id === 'string' ? data : undefined;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** `{event, channel?, data}` as pusher-js reads it: `data` is a JSON-encoded string, unless it is one already. */
export function pusherFrame(event: string, data: unknown, channel?: string, userId?: string): string {
  const frame: Record<string, unknown> = { event };
  if (channel !== undefined) frame.channel = channel;
  frame.data = typeof data === 'string' ? data : JSON.stringify(data ?? {});
  if (userId !== undefined) frame.user_id = userId;
  return JSON.stringify(frame);
}

/**
 * The shared half of one app's protocol: encodes what many sessions receive
 * (publications, member joins), once per app. Each connection's
 * `PusherConnection` decides whether a shared message is for it (sender
 * exclusion, one member event per user) and handles everything per connection:
 * Pusher's frames need connection state (the socket id, pending subscriptions),
 * so decoding is never done here.
 */
export class PusherCodec implements ClientProtocol {
  readonly subprotocol = 'pusher';
  readonly binary = false;

  constructor(readonly channels: PusherChannels) {}

  decodeCommands(): (Command | WireError)[] {
    throw new WireError('Pusher frames are decoded by their connection (PusherConnection)');
  }

  encodeReply(_reply: Reply): Uint8Array {
    return EMPTY;
  }

  /** Publications and member joins; other pushes are per connection (empty here). */
  encodePush(push: Push): Uint8Array {
    const text = this.frameOf(push);
    return text === undefined ? EMPTY : encoder.encode(text);
  }

  frameOf(push: Push): string | undefined {
    const channel = 'channel' in push ? this.channels.nameOf(push.channel) : undefined;
    if (channel === undefined) return undefined;
    if (push.push === 'publication') {
      const data = push.pub.data;
      return isEnvelope(data) ? pusherFrame(data.e, data.d, channel, data.u) : undefined;
    }
    // A leave carries no channel data: each connection makes its `member_removed` from its member list.
    const member = push.push === 'join' ? memberOf(push.info) : undefined;
    return (
      member &&
      pusherFrame('pusher_internal:member_added', { user_id: member.user_id, user_info: member.user_info }, channel)
    );
  }
}
