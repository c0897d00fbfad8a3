import type { Holding, LogEvent, OccupancyStore } from '@switchboard/engine';
import type { KV } from '@nats-io/kv';
import { fromKeyPart, keyPart, type NatsEventParts } from './nats-event-parts.js';
import type { NatsEventLog } from './nats-event-log.js';

/** A (key, member)'s count over all nodes, and the event of its last transition until it is known to be appended. */
interface Total {
  count: number;
  pending?: LogEvent;
}

/**
 * The OccupancyStore on JetStream KV (`<p>_occupancy`), written with compare-and-set
 * loops: `t.<key>.<member>` holds the total and `h.<node>.<key>.<member>` a node's
 * count; `n.<node>` its mark (this node's clock). KV cannot write a value and append
 * to a stream in one step, so a transition's event is written into the total with it
 * (`pending`) and appended after, de-duplicated by its id: whoever changes that total
 * next appends the pending event first, so events of one (key, member) keep their
 * order and one that its node did not live to append is appended by the next
 * transition. Enter counts the total first and exit the node's count first, so a node
 * that dies between the two steps leaves a count too high, never too low: a channel
 * may then stay occupied, but is never vacated while a subscriber exists.
 */
export class NatsOccupancyStore implements OccupancyStore {
  constructor(
    private readonly parts: NatsEventParts,
    private readonly log: NatsEventLog,
  ) {}

  async enter(key: string, member: string, node: string, event?: LogEvent): Promise<{ first: boolean }> {
    const kv = await this.kv();
    const first = await this.total(
      kv,
      key,
      member,
      (n) => n + 1,
      (before) => before === 0,
      event,
    );
    await this.add(kv, holdingKey(node, key, member), (n) => n + 1);
    return { first };
  }

  async exit(key: string, member: string, node: string, event?: LogEvent): Promise<{ last: boolean }> {
    return this.take(key, member, node, 1, event);
  }

  async evict(key: string, member: string, node: string, event?: LogEvent): Promise<{ last: boolean }> {
    return this.take(key, member, node, Infinity, event);
  }

  async holdings(node: string): Promise<Holding[]> {
    const kv = await this.kv();
    return this.parts.link.run('holdings', async () => {
      const keys: string[] = [];
      for await (const k of await kv.keys(`h.${keyPart(node)}.>`)) keys.push(k);
      const out: Holding[] = [];
      for (const k of keys) {
        const entry = await kv.get(k);
        const count = entry?.operation === 'PUT' ? Number(entry.string()) : 0;
        const [, , key, member] = k.split('.');
        if (count > 0) out.push({ key: fromKeyPart(key), member: fromKeyPart(member), count });
      }
      return out;
    });
  }

  async alive(node: string, ttlMs: number): Promise<void> {
    const kv = await this.kv();
    await this.parts.link.run('node mark', () => kv.put(`n.${keyPart(node)}`, String(Date.now() + ttlMs)));
  }

  async deadNodes(): Promise<string[]> {
    const kv = await this.kv();
    return this.parts.link.run('dead nodes', async () => {
      const marks: string[] = [];
      for await (const k of await kv.keys('n.*')) marks.push(k);
      const dead: string[] = [];
      for (const k of marks) {
        const entry = await kv.get(k);
        if (entry?.operation !== 'PUT' || Number(entry.string()) > Date.now()) continue;
        const node = fromKeyPart(k.slice(2));
        if ((await this.holdings(node)).length > 0) dead.push(node);
        else await kv.delete(k);
      }
      return dead;
    });
  }

  private async take(
    key: string,
    member: string,
    node: string,
    n: number,
    event: LogEvent | undefined,
  ): Promise<{ last: boolean }> {
    const kv = await this.kv();
    let taken = 0;
    await this.add(kv, holdingKey(node, key, member), (count) => {
      taken = Math.min(n, count);
      return count - taken;
    });
    if (taken === 0) return { last: false };
    const last = await this.total(
      kv,
      key,
      member,
      (count) => Math.max(0, count - taken),
      (_before, after) => after === 0,
      event,
    );
    return { last };
  }

  /** CAS on a node's count (removed at 0). */
  private add(kv: KV, k: string, change: (n: number) => number): Promise<void> {
    return this.parts.link.run('occupancy count', async () => {
      for (;;) {
        const entry = await kv.get(k);
        const live = entry?.operation === 'PUT';
        const next = change(live ? Number(entry!.string()) : 0);
        if (!live && next === 0) return;
        const ok = live
          ? await (next === 0
              ? kv.delete(k, { previousSeq: entry!.revision })
              : kv.update(k, String(next), entry!.revision)
            ).then(
              () => true,
              () => false,
            )
          : await kv.create(k, String(next)).then(
              () => true,
              () => false,
            );
        if (ok) return;
      }
    });
  }

  /**
   * CAS on a total; when `transition(before, after)` holds, `event` rides along as pending and is
   * appended once the total is written. A pending event found there is appended first.
   */
  private async total(
    kv: KV,
    key: string,
    member: string,
    change: (n: number) => number,
    transition: (before: number, after: number) => boolean,
    event: LogEvent | undefined,
  ): Promise<boolean> {
    const k = `t.${keyPart(key)}.${keyPart(member)}`;
    const { link } = this.parts;
    for (;;) {
      const entry = await link.run('occupancy total', () => kv.get(k));
      const live = entry?.operation === 'PUT';
      const before: Total = live ? entry!.json<Total>() : { count: 0 };
      if (before.pending) await this.log.append([before.pending]);
      const after = change(before.count);
      const happened = transition(before.count, after);
      const value: Total = happened && event ? { count: after, pending: event } : { count: after };
      const written = await link.run('occupancy total', () =>
        (live ? kv.update(k, JSON.stringify(value), entry!.revision) : kv.create(k, JSON.stringify(value))).then(
          () => true,
          () => false,
        ),
      );
      if (!written) continue;
      if (value.pending) await this.log.append([value.pending]);
      return happened;
    }
  }

  private async kv(): Promise<KV> {
    return (await this.parts.ready()).occupancy;
  }
}

const holdingKey = (node: string, key: string, member: string) =>
  `h.${keyPart(node)}.${keyPart(key)}.${keyPart(member)}`;
