import type { Publication } from '@switchboard/engine';
import { JsonBytes } from '@switchboard/wire';
import { headers, type MsgHdrs } from '@nats-io/transport-node';

/**
 * A stored message's headers: `Sb-Off` (the channel offset), `Sb-Epoch`, `Sb-Prev`
 * (the stream sequence of the channel's previous message, 0 for its first, so
 * history can be walked back from the head without a consumer), and `Sb-Kind: init`
 * on the marker an ensuring read writes; `Sb-Key` the idempotency key, if any. The body is `{d, p?}` JSON.
 */
export const Header = { Offset: 'Sb-Off', Epoch: 'Sb-Epoch', Prev: 'Sb-Prev', Kind: 'Sb-Kind', Key: 'Sb-Key' } as const;

/** The head (or any stored message) of a channel, as read back. */
export interface StoredEntry {
  /** Stream sequence. */
  seq: number;
  offset: number;
  epoch: string;
  prev: number;
  /** The init marker of an ensured, still empty stream: not a publication. */
  marker: boolean;
  key?: string;
  data: Uint8Array;
}

export function encodeBody(data: unknown, publisher: Publication['publisher']): string {
  return JsonBytes.stringify(publisher ? { d: data, p: publisher } : { d: data });
}

export function publicationHeaders(
  offset: number,
  epoch: string,
  prev: number,
  options: { marker?: boolean; key?: string } = {},
): MsgHdrs {
  const h = headers();
  const marker = options.marker ?? false;
  if (options.key !== undefined) h.set(Header.Key, options.key);
  h.set(Header.Offset, String(offset));
  h.set(Header.Epoch, epoch);
  h.set(Header.Prev, String(prev));
  if (marker) h.set(Header.Kind, 'init');
  return h;
}

/** A message read back from a stream (or delivered by RePublish), or undefined if it is not one of ours. */
export function readEntry(seq: number, hdrs: MsgHdrs | undefined, data: Uint8Array): StoredEntry | undefined {
  const offset = hdrs?.get(Header.Offset);
  if (!hdrs || offset === undefined || offset === '') return undefined;
  return {
    seq,
    offset: Number(offset),
    epoch: hdrs.get(Header.Epoch),
    prev: Number(hdrs.get(Header.Prev) || 0),
    marker: hdrs.get(Header.Kind) === 'init',
    key: hdrs.get(Header.Key) || undefined,
    data,
  };
}

export function toPublication(channel: string, entry: Pick<StoredEntry, 'offset' | 'epoch' | 'data'>): Publication {
  const { d, p } = JsonBytes.parse(new TextDecoder().decode(entry.data)) as {
    d: unknown;
    p?: Publication['publisher'];
  };
  return p
    ? { channel, offset: entry.offset, epoch: entry.epoch, data: d, publisher: p }
    : { channel, offset: entry.offset, epoch: entry.epoch, data: d };
}
