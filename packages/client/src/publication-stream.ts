import { ClientError, ClientErrorCode } from './client-errors.js';
import type { Emitter } from './emitter.js';
import type { Publication, SubscriptionEvent, SubscriptionState } from './subscription-events.js';

/** What the stream reads of a subscription. */
export interface PublicationSource {
  readonly channel: string;
  readonly state: SubscriptionState;
  /** Publications held for a slow consumer before the stream fails with StreamOverflow. */
  readonly bufferSize: number;
  on: Emitter<SubscriptionEvent>['on'];
}

/**
 * A subscription's publications as an async iterator. It ends when the
 * subscription is unsubscribed, and throws if it failed (or if the consumer
 * falls `bufferSize` publications behind: StreamOverflow, rather than memory
 * growing without bound). Leaving the loop stops the iterator, not the subscription.
 */
export function publicationStream(sub: PublicationSource): AsyncIterator<Publication> {
  const buffered: Publication[] = [];
  let waiting: { resolve(r: IteratorResult<Publication>): void; reject(e: Error): void } | undefined;
  let failure: Error | undefined;
  let ended = sub.state === 'unsubscribed';

  const finish = (error?: Error) => {
    if (ended) return;
    ended = true;
    failure = error;
    offs.forEach((off) => off());
    if (!waiting) return;
    const w = waiting;
    waiting = undefined;
    if (error) w.reject(error);
    else w.resolve({ value: undefined, done: true });
  };
  const offs = ended
    ? []
    : [
        sub.on('publication', (pub) => {
          if (waiting) {
            const w = waiting;
            waiting = undefined;
            w.resolve({ value: pub, done: false });
          } else if (buffered.length < sub.bufferSize) buffered.push(pub);
          else
            finish(
              new ClientError(
                ClientErrorCode.StreamOverflow,
                `the consumer fell ${buffered.length} publications behind on ${sub.channel}`,
              ),
            );
        }),
        sub.on('state', (e) => {
          if (e.state === 'unsubscribed') finish(e.error);
        }),
      ];

  return {
    next() {
      if (buffered.length > 0) return Promise.resolve({ value: buffered.shift()!, done: false });
      if (failure) return Promise.reject(failure);
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    return() {
      finish();
      buffered.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
  };
}
