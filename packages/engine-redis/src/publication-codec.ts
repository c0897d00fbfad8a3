import type { Publication, StreamPosition } from '@switchboard/engine';
import { JsonBytes } from '@switchboard/wire';

/**
 * What Redis holds and carries for a publication. The stream entry keeps only
 * the body (its ID is `<offset>-0`, the epoch is the stream's); the pub/sub
 * message is `<offset> <epoch> <body>`, so the script builds it by
 * concatenation, without JSON in Lua. Epochs never contain spaces. Bytes in
 * `data` are kept as `{"$bytes": base64}` (JsonBytes), so they come back as bytes.
 */
export function encodeBody(data: unknown, publisher: Publication['publisher']): string {
  return JsonBytes.stringify(publisher ? { d: data, p: publisher } : { d: data });
}

function withBody(channel: string, offset: number, epoch: string, body: string): Publication {
  const { d, p } = JsonBytes.parse(body) as { d: unknown; p?: Publication['publisher'] };
  return p ? { channel, offset, epoch, data: d, publisher: p } : { channel, offset, epoch, data: d };
}

export function decodeMessage(channel: string, message: string): Publication {
  const a = message.indexOf(' ');
  const b = message.indexOf(' ', a + 1);
  return withBody(channel, Number(message.slice(0, a)), message.slice(a + 1, b), message.slice(b + 1));
}

/** A stream entry as XRANGE returns it: `[id, ['b', body]]`. */
export function decodeEntry(channel: string, epoch: string, entry: [string, string[]]): Publication {
  return withBody(channel, Number.parseInt(entry[0], 10), epoch, entry[1][1]);
}

/** `"<offset> <epoch>"`, as the publish script answers. */
export function parsePosition(text: string): StreamPosition {
  const space = text.indexOf(' ');
  return { offset: Number(text.slice(0, space)), epoch: text.slice(space + 1) };
}
