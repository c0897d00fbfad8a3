import type { StreamPosition } from '@switchboard/wire';

/** The longest `Last-Event-ID` accepted: a position for each of up to ~100 channels. */
const MAX_EVENT_ID_LENGTH = 8192;

/**
 * An SSE event id that names the position of every channel of the stream, so
 * the browser's own `Last-Event-ID` (it keeps only the last id) resumes all of
 * them: base64url of `[[channel, offset, epoch], …]`.
 */
export function encodeEventId(positions: ReadonlyMap<string, StreamPosition>): string {
  const list = [...positions].map(([channel, p]) => [channel, p.offset, p.epoch]);
  return Buffer.from(JSON.stringify(list)).toString('base64url');
}

/** The positions in a `Last-Event-ID`; undefined when it is not one of ours (the caller answers 400). */
export function decodeEventId(id: string): Map<string, StreamPosition> | undefined {
  if (id.length === 0 || id.length > MAX_EVENT_ID_LENGTH || !/^[A-Za-z0-9_-]+$/.test(id)) return undefined;
  let list: unknown;
  try {
    list = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(list)) return undefined;
  const positions = new Map<string, StreamPosition>();
  for (const entry of list) {
    if (!Array.isArray(entry) || entry.length !== 3) return undefined;
    const [channel, offset, epoch] = entry as unknown[];
    if (
      typeof channel !== 'string' ||
      typeof epoch !== 'string' ||
      !Number.isSafeInteger(offset) ||
      (offset as number) < 0
    )
      return undefined;
    positions.set(channel, { offset: offset as number, epoch });
  }
  return positions;
}
