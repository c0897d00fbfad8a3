import type { StreamPosition } from './messages.js';

/**
 * How a publication's position relates to the last one a reader holds:
 * - `next`: it continues the stream (offset `last + 1 + skipped`, same epoch);
 * - `seen`: same epoch, at or before `last` (a duplicate, or already replayed);
 * - `gap`: offsets were skipped, or another epoch began. An offset means nothing
 *   under another epoch, so a new epoch is a gap even at offset 1: the old
 *   stream's tail may never have arrived.
 */
export type Continuity = 'next' | 'seen' | 'gap';

/**
 * The one continuity rule, used by the server (hub, subscriptions, slow
 * consumers, recovery) and the client alike. `skipped` is how many publications
 * the server dropped or coalesced on purpose before this one (a slow-consumer
 * policy), so they are not a gap. Offsets are positive: publications without
 * history (offset 0) carry no position and never reach this rule.
 */
export function continuity(last: StreamPosition, next: StreamPosition, skipped = 0): Continuity {
  if (next.epoch !== last.epoch) return 'gap';
  if (next.offset <= last.offset) return 'seen';
  return next.offset === last.offset + 1 + skipped ? 'next' : 'gap';
}
