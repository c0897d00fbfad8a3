import type { StreamPosition } from '@switchboard/wire';

/**
 * A place in a channel's stream (defined by the wire protocol). `offset` counts
 * publications from 1 and only grows; `epoch` names the stream instance. An offset
 * means nothing under another epoch: a client holding a position from a lost
 * stream must resync, never resume.
 */
export type { StreamPosition };

/** A message published to a channel, as every engine stores and delivers it. */
export interface Publication {
  channel: string;
  /** The stream position this publication was given; 0 when the channel keeps no history. */
  offset: number;
  epoch: string;
  /** Application payload: any JSON value. */
  data: unknown;
  /** Who published it, when the server knows. */
  publisher?: { userId: string; clientId: string };
}
