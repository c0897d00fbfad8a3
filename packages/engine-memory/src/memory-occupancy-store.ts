import type { Holding, LogEvent, OccupancyStore } from '@switchboard/engine';
import type { MemoryEventHub } from './memory-event-log.js';

/** One cluster's occupancy: every MemoryOccupancyStore made on it shares it. */
export class MemoryOccupancyHub {
  /** key → member → count over all nodes. */
  readonly totals = new Map<string, Map<string, number>>();
  /** node → "key\0member" → that node's count. */
  readonly byNode = new Map<string, Map<string, number>>();
  readonly aliveUntil = new Map<string, number>();

  constructor(readonly events: MemoryEventHub) {}
}

const SEP = '\u0000';

/** The memory engine's OccupancyStore (see OccupancyStore): each method is one synchronous step, so atomic. */
export class MemoryOccupancyStore implements OccupancyStore {
  constructor(private readonly hub: MemoryOccupancyHub) {}

  async enter(key: string, member: string, node: string, event?: LogEvent): Promise<{ first: boolean }> {
    const held = this.hub.byNode.get(node) ?? this.hub.byNode.set(node, new Map()).get(node)!;
    held.set(key + SEP + member, (held.get(key + SEP + member) ?? 0) + 1);
    const first = this.add(key, member, 1) === 1;
    if (first && event) this.hub.events.store(event);
    return { first };
  }

  async exit(key: string, member: string, node: string, event?: LogEvent): Promise<{ last: boolean }> {
    return { last: this.take(key, member, node, 1, event) };
  }

  async evict(key: string, member: string, node: string, event?: LogEvent): Promise<{ last: boolean }> {
    return { last: this.take(key, member, node, Infinity, event) };
  }

  async holdings(node: string): Promise<Holding[]> {
    return [...(this.hub.byNode.get(node) ?? [])].map(([slot, count]) => {
      const at = slot.indexOf(SEP);
      return { key: slot.slice(0, at), member: slot.slice(at + 1), count };
    });
  }

  async alive(node: string, ttlMs: number): Promise<void> {
    this.hub.aliveUntil.set(node, Date.now() + ttlMs);
  }

  async deadNodes(): Promise<string[]> {
    const now = Date.now();
    const dead: string[] = [];
    for (const [node, until] of this.hub.aliveUntil) {
      if (until > now) continue;
      if ((this.hub.byNode.get(node)?.size ?? 0) > 0) dead.push(node);
      else this.hub.aliveUntil.delete(node);
    }
    return dead;
  }

  /** Takes up to `n` of `node`'s count; true (and the event stored) when nobody holds it after. */
  private take(key: string, member: string, node: string, n: number, event: LogEvent | undefined): boolean {
    const held = this.hub.byNode.get(node);
    const count = held?.get(key + SEP + member) ?? 0;
    if (count === 0) return false;
    const taken = Math.min(n, count);
    if (count - taken === 0) held!.delete(key + SEP + member);
    else held!.set(key + SEP + member, count - taken);
    if (held!.size === 0) this.hub.byNode.delete(node);
    const last = this.add(key, member, -taken) === 0;
    if (last && event) this.hub.events.store(event);
    return last;
  }

  private add(key: string, member: string, n: number): number {
    const members = this.hub.totals.get(key) ?? this.hub.totals.set(key, new Map()).get(key)!;
    const total = (members.get(member) ?? 0) + n;
    if (total > 0) members.set(member, total);
    else members.delete(member);
    if (members.size === 0) this.hub.totals.delete(key);
    return total;
  }
}
