import type { PublishResult, StreamPosition } from '@switchboard/engine';
import { EngineUnavailableError } from '@switchboard/engine';
import { JetStreamApiError } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { NatsLink } from './nats-link.js';
import type { NatsNames } from './nats-names.js';
import { Header } from './nats-publication.js';
import type { NatsStreams } from './nats-streams.js';

const WRONG_LAST_SEQUENCE = 10071;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How a claim's owner appends, and how a successor looks for an append the owner did not record. */
export interface ClaimedAppend {
  append(): Promise<StreamPosition>;
  /** The position of a stored publication carrying this key, if history still holds one. */
  find(): Promise<StreamPosition | undefined>;
}

/**
 * Idempotency keys of history publishes. A history append's `Nats-Msg-Id` is
 * taken by its offset (see NatsBroker), so a key is claimed separately, in the
 * stream `<p>_keys` (subject `<p>.k.<channel>.<key>`, `max_age` = the window):
 *
 * 1. claim: publish with `Nats-Expected-Last-Subject-Sequence: 0` (only one
 *    publisher can take an empty subject);
 * 2. the owner appends, then records the position as the subject's second message;
 *    if the append fails it purges the claim, so a retry can claim again;
 * 3. everyone else waits for the record and answers with it (`duplicate: true`).
 *    A claim left without a record for 2 × commandTimeoutMs (its owner died, or
 *    could not purge) is settled by its successor: from history if the append
 *    landed, else by purging the claim and claiming anew.
 */
export class IdempotencyClaims {
  constructor(
    private readonly link: NatsLink,
    private readonly names: NatsNames,
    private readonly streams: NatsStreams,
  ) {}

  async publishOnce(channel: string, key: string, work: ClaimedAppend): Promise<PublishResult> {
    const stream = await this.streams.keys();
    const subject = this.names.keySubject(channel, key);
    const settleAfterMs = 2 * this.link.commandTimeoutMs;
    for (let attempt = 0; attempt < 5; attempt++) {
      const claim = await this.claim(subject);
      if (claim !== undefined) {
        let position: StreamPosition;
        try {
          position = await work.append();
        } catch (error) {
          await this.purge(stream, subject).catch(() => {}); // else a successor settles it
          throw error;
        }
        await this.record(subject, claim, position).catch(() => {}); // a successor finds it in history
        return { position, duplicate: false };
      }
      const deadline = Date.now() + settleAfterMs + 500;
      while (Date.now() < deadline) {
        const last = await this.link.run('read key', () =>
          this.link.jsm.streams.getMessage(stream, { last_by_subj: subject }),
        );
        if (!last) break; // purged: claim again
        if (last.header.get(Header.Kind) === 'record')
          return { position: JSON.parse(last.string()) as StreamPosition, duplicate: true };
        if (Date.now() - last.time.getTime() > settleAfterMs) {
          const found = await work.find();
          if (found) {
            await this.record(subject, last.seq, found).catch(() => {});
            return { position: found, duplicate: true };
          }
          await this.purge(stream, subject);
          break;
        }
        await sleep(10);
      }
    }
    throw new EngineUnavailableError(`nats: idempotency key of ${channel} stayed unsettled`);
  }

  /** The claim's sequence if this call took the key, undefined if another holds it. */
  private async claim(subject: string): Promise<number | undefined> {
    const h = headers();
    h.set(Header.Kind, 'claim');
    try {
      return (
        await this.link.run('claim key', () =>
          this.link.js.publish(subject, '', { headers: h, expect: { lastSubjectSequence: 0 } }),
        )
      ).seq;
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE) return undefined;
      throw error;
    }
  }

  private async record(subject: string, claimSeq: number, position: StreamPosition): Promise<void> {
    const h = headers();
    h.set(Header.Kind, 'record');
    await this.link.run('record key', () =>
      this.link.js.publish(subject, JSON.stringify(position), {
        headers: h,
        expect: { lastSubjectSequence: claimSeq },
      }),
    );
  }

  private async purge(stream: string, subject: string): Promise<void> {
    await this.link.run('release key', () => this.link.jsm.streams.purge(stream, { filter: subject }));
  }
}
