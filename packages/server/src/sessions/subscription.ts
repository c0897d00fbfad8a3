import type { HistoryQuery, HistoryResult, Publication, StreamPosition } from '@switchboard/engine';
import { continuity, type SubscribeResult } from '@switchboard/wire';
import type { Hub } from '../channels/hub.js';
import type { ResolvedChannel } from '../channels/namespaces.js';
import { RecoveryMerge } from '../channels/recovery-merge.js';
import { toPublicationPush } from '../channels/publication-push.js';

/**
 * One session's subscription to one channel. It is `joining` from the moment
 * the node receives the channel until the subscribe reply is sent: live
 * publications are buffered meanwhile, then merged with the history read by
 * offset (RecoveryMerge), so the reply and the live stream meet with no gap and
 * no duplicate. After `goLive` publications are written as they come.
 */
export class Subscription {
  state: 'joining' | 'live' = 'joining';
  /** Its `subscribe` lifecycle event was emitted, so its end emits `unsubscribe`. */
  announced = false;
  /** Live publications that came while joining; none once live. */
  private buffer: Publication[] | undefined;
  /** The position the reply gave the client; buffered publications after it follow the reply. */
  private position: StreamPosition | undefined;

  /** The clock of access that expires (`SubscribeAnswer.expiresAt`); only for such subscriptions. */
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(readonly channel: ResolvedChannel) {}

  /** Calls `expired` at `expiresAt` (Unix ms), replacing any earlier clock. */
  expireAt(expiresAt: number, expired: () => void): void {
    this.stop();
    this.expiryTimer = setTimeout(expired, Math.max(0, expiresAt - Date.now()));
    this.expiryTimer.unref();
  }

  /** The subscription ended: its clock stops. */
  stop(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  buffered(publication: Publication): void {
    (this.buffer ??= []).push(publication);
  }

  /** Reads history (after the node is subscribed) and decides what the reply says. */
  async join(
    hub: Pick<Hub, 'observe'>,
    stream: { read(channel: string, query: HistoryQuery): Promise<HistoryResult> },
    since: StreamPosition | undefined,
  ): Promise<SubscribeResult> {
    const { history, recovery, maxRecoveredPublications } = this.channel.options;
    if (!history) return since ? { recovered: false } : {};
    const name = this.channel.channel;
    if (!since || !recovery) {
      const top = await stream.read(name, { limit: 0, ensure: history });
      hub.observe(name, top.position);
      this.position = top.position;
      return since ? { recovered: false, position: top.position } : { position: top.position };
    }
    const read = await stream.read(name, { since, limit: maxRecoveredPublications + 1, ensure: history });
    hub.observe(name, read.position);
    const merge = new RecoveryMerge(since, maxRecoveredPublications);
    for (const p of this.buffer ?? []) merge.onLive(p);
    const outcome = merge.complete(read);
    this.position = outcome.position;
    if (!outcome.recovered) return { recovered: false, position: outcome.position };
    return outcome.publications.length > 0
      ? { recovered: true, position: outcome.position, publications: outcome.publications.map(toPublicationPush) }
      : { recovered: true, position: outcome.position };
  }

  /** Hands over the publications that arrived after the reply's position and switches to live delivery. */
  goLive(deliver: (publication: Publication) => void): void {
    const after = this.position;
    for (const p of this.buffer ?? []) {
      if (p.offset === 0 || !after || continuity(after, p) !== 'seen') deliver(p);
    }
    this.buffer = undefined;
    this.state = 'live';
  }
}
