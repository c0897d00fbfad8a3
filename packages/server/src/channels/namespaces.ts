import { commandErrors } from '../errors.js';
import { parseChannelName, type ChannelName } from './channel-name.js';
import type { ResolvedNamespaceOptions } from './namespace-options.js';

/** A channel with its namespace's options. */
export interface ResolvedChannel extends ChannelName {
  options: ResolvedNamespaceOptions;
}

/** The configured namespaces: channel name → options, or the documented refusal. */
export class Namespaces {
  constructor(private readonly byName: ReadonlyMap<string, ResolvedNamespaceOptions>) {}

  /** Throws ChannelNameError (107) for a malformed name and 102 for an unknown namespace. */
  resolve(channel: string): ResolvedChannel {
    const parsed = parseChannelName(channel);
    const options = this.byName.get(parsed.namespace);
    if (!options) throw commandErrors.unknownChannel(parsed.namespace);
    // Every field named, in one order: one shared hidden class for all (a spread gave each subscription its own).
    return {
      channel: parsed.channel,
      namespace: parsed.namespace,
      name: parsed.name,
      personalUserId: parsed.personalUserId,
      options,
    };
  }

  /**
   * May this user read the channel (subscribe, history, presence)? Personal
   * channels are their owner's only; the rest is the namespace's and hooks' call.
   */
  assertOwnerMayRead(channel: ResolvedChannel, userId: string): void {
    if (channel.personalUserId !== undefined && channel.personalUserId !== userId) {
      throw commandErrors.permissionDenied("a personal channel is its user's only");
    }
  }
}
