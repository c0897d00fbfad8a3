/** How the cluster notices dead nodes and moves webhook deliveries (docs/webhooks.md#bounds). */
export interface LifecycleOptions {
  /**
   * A node marks itself alive for this long, again every `sweepIntervalMs`; a node unmarked this long is dead. @default
   * 15000
   */
  nodeTtlMs?: number;
  /** How often a node refreshes its mark and ends dead nodes' connections, subscriptions and channels. @default 5000 */
  sweepIntervalMs?: number;
  /**
   * A webhook partition's lease lasts this long unless renewed; a dead node's partitions move to another after
   * it. @default 10000
   */
  leaseMs?: number;
  /**
   * An idle partition is read this often for events appended on other nodes (this node's own are read at
   * once). @default 250
   */
  pollMs?: number;
}

export type ResolvedLifecycleOptions = Required<LifecycleOptions>;

export const LIFECYCLE_DEFAULTS: ResolvedLifecycleOptions = Object.freeze({
  nodeTtlMs: 15_000,
  sweepIntervalMs: 5000,
  leaseMs: 10_000,
  pollMs: 250,
});

export function resolveLifecycleOptions(options: LifecycleOptions = {}): ResolvedLifecycleOptions {
  const merged = {
    ...LIFECYCLE_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as ResolvedLifecycleOptions;
  for (const key of Object.keys(LIFECYCLE_DEFAULTS) as (keyof ResolvedLifecycleOptions)[]) {
    if (!(Number.isSafeInteger(merged[key]) && merged[key] > 0))
      throw new TypeError(
        `Switchboard server: lifecycle.${key} must be a positive integer, got ${String(merged[key])}`,
      );
  }
  if (merged.sweepIntervalMs >= merged.nodeTtlMs)
    throw new TypeError('Switchboard server: lifecycle.sweepIntervalMs must be less than lifecycle.nodeTtlMs');
  return merged;
}
