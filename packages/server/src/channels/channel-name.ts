import { ReplyErrorCode } from '@switchboard/wire';

/** A channel name, split. `user:#42` is user 42's personal channel in the `user` namespace. */
export interface ChannelName {
  channel: string;
  namespace: string;
  name: string;
  /** Set for personal channels (`…:#userId`): only that user may subscribe. */
  personalUserId?: string;
}

export const MAX_CHANNEL_LENGTH = 255;
const NAMESPACE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const NAME = /^[A-Za-z0-9_\-=@.,;/#]+$/;

/** Why a channel name was refused, as the reply error a client gets. */
export class ChannelNameError extends Error {
  readonly replyCode = ReplyErrorCode.BadRequest;
  constructor(message: string) {
    super(message);
    this.name = 'ChannelNameError';
  }
}

/**
 * Parses `namespace:name`. Namespaces are lower-case; names allow letters, digits
 * and `_-=@.,;/#`; the whole is at most 255 characters. A name starting with `#`
 * is the personal channel of the user named after it.
 */
export function parseChannelName(channel: string): ChannelName {
  if (channel.length === 0 || channel.length > MAX_CHANNEL_LENGTH) {
    throw new ChannelNameError(`channel names are 1–${MAX_CHANNEL_LENGTH} characters`);
  }
  const colon = channel.indexOf(':');
  if (colon < 0) throw new ChannelNameError('channel names are namespace:name');
  const namespace = channel.slice(0, colon);
  const name = channel.slice(colon + 1);
  if (!NAMESPACE.test(namespace)) throw new ChannelNameError(`invalid namespace "${namespace}"`);
  if (!NAME.test(name)) throw new ChannelNameError(`invalid characters in channel name "${name}"`);
  const personal = name.startsWith('#');
  if (personal && name.length === 1) throw new ChannelNameError('a personal channel names its user: namespace:#userId');
  return { channel, namespace, name, personalUserId: personal ? name.slice(1) : undefined };
}
