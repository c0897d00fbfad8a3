import type { HistoryResult, Publication, StreamPosition } from '@switchboard/engine';
import { continuity } from '@switchboard/wire';

export type RecoveryOutcome =
  | { recovered: true; publications: Publication[]; position: StreamPosition }
  | { recovered: false; position: StreamPosition };

/**
 * Recovery's single ordering discipline. The node subscribes to the channel
 * first, then reads history; live publications that arrive meanwhile are
 * buffered here. `complete` merges the two by offset: every publication after
 * `since`, in order, each once, with no hole — or no recovery at all (never a
 * partial one), and the client takes a snapshot.
 *
 * Live delivery is at most once (see Broker), so a hole between history and the
 * live buffer is possible, and is exactly what makes recovery fail.
 */
export class RecoveryMerge {
  private readonly live: Publication[] = [];

  constructor(
    private readonly since: StreamPosition,
    /** Recovering more than this many publications is refused (the client resyncs instead). */
    private readonly maxPublications: number,
  ) {}

  /** A live publication for the channel, arriving while history is being read. */
  onLive(publication: Publication): void {
    this.live.push(publication);
  }

  complete(history: HistoryResult): RecoveryOutcome {
    const epoch = history.position.epoch;
    const fail = (): RecoveryOutcome => ({ recovered: false, position: this.top(history) });
    if (history.gap || this.since.epoch !== epoch) return fail();
    // A live publication from another epoch: the stream was replaced while we read it.
    if (this.live.some((p) => p.epoch !== epoch)) return fail();
    const byOffset = new Map<number, Publication>();
    for (const p of history.publications) if (p.offset > this.since.offset) byOffset.set(p.offset, p);
    for (const p of this.live) if (p.offset > this.since.offset && !byOffset.has(p.offset)) byOffset.set(p.offset, p);
    const publications = [...byOffset.values()].sort((a, b) => a.offset - b.offset);
    // Contiguous from since + 1: anything else means a publication was lost in between.
    let at = this.since;
    for (const p of publications) {
      if (continuity(at, p) !== 'next') return fail();
      at = p;
    }
    if (publications.length > this.maxPublications) return fail();
    const last = publications.at(-1);
    return {
      recovered: true,
      publications,
      position: last
        ? { offset: last.offset, epoch }
        : { offset: Math.max(this.since.offset, history.position.offset), epoch },
    };
  }

  /** The newest position known, for a client that must resync from it. */
  private top(history: HistoryResult): StreamPosition {
    const newestLive = this.live.filter((p) => p.epoch === history.position.epoch).at(-1);
    return newestLive && newestLive.offset > history.position.offset
      ? { offset: newestLive.offset, epoch: newestLive.epoch }
      : history.position;
  }
}
