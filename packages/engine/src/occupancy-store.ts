import type { LogEvent } from './event-log.js';

/** What one node holds of a (key, member): `count` enters not yet exited. */
export interface Holding {
  readonly key: string;
  readonly member: string;
  readonly count: number;
}

/**
 * Cluster-wide counted membership, per node, with the event of each transition
 * appended to the engine's EventLog in the same atomic step. A (key, member) is
 * present while any node's count for it is above 0.
 *
 * Contract:
 * - `enter` adds 1 to `node`'s count; `first` is true iff no node had it before,
 *   and then (and only then) `event` is appended, atomically with the count.
 * - `exit` takes 1 from `node`'s count (nothing if it has none); `last` is true iff
 *   no node has it after, and then `event` is appended, atomically.
 * - `evict` removes `node`'s whole count (a dead node's holding): `last` and the
 *   event as for `exit`. Several nodes may evict the same holding at once: it is
 *   removed, and its event appended, once.
 * - `alive` marks a node live for `ttlMs`; `deadNodes` lists nodes that hold
 *   something and whose mark lapsed (a node with nothing left is forgotten).
 * So one `first` is always followed by exactly one `last` before the next `first`.
 */
export interface OccupancyStore {
  enter(key: string, member: string, node: string, event?: LogEvent): Promise<{ first: boolean }>;
  exit(key: string, member: string, node: string, event?: LogEvent): Promise<{ last: boolean }>;
  evict(key: string, member: string, node: string, event?: LogEvent): Promise<{ last: boolean }>;
  holdings(node: string): Promise<Holding[]>;
  alive(node: string, ttlMs: number): Promise<void>;
  deadNodes(): Promise<string[]>;
}
