import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { NatsLink } from './nats-link.js';

/**
 * Reads every message of a stream matching `filter` that exists now (or, with
 * `lastPerSubject`, the newest per subject) through one short-lived consumer: on
 * 2.9/2.10 the only multi-message read (batch direct get is 2.11+). Messages stored
 * after the consumer's creation are not waited for. Costs a consumer create, one
 * fetch and a delete that is not waited for.
 */
export async function readStream(
  link: NatsLink,
  stream: string,
  filter: string,
  lastPerSubject = false,
): Promise<JsMsg[]> {
  return link.run('read', async () => {
    const info = await link.jsm.consumers.add(stream, {
      filter_subject: filter,
      deliver_policy: lastPerSubject ? DeliverPolicy.LastPerSubject : DeliverPolicy.All,
      ack_policy: AckPolicy.None,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(30_000),
    });
    try {
      const out: JsMsg[] = [];
      if (info.num_pending === 0) return out;
      const consumer = await link.js.consumers.get(stream, info.name);
      // Messages can expire between the count and the fetch, so the fetch is bounded by time too.
      const messages = await consumer.fetch({
        max_messages: info.num_pending,
        expires: Math.max(1000, link.commandTimeoutMs),
      });
      for await (const message of messages) {
        out.push(message);
        if (message.info.pending === 0) break;
      }
      return out;
    } finally {
      link.jsm.consumers.delete(stream, info.name).catch(() => {}); // inactive_threshold removes it otherwise
    }
  });
}
