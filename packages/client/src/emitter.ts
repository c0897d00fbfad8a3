/** A small typed event emitter that works the same in browsers and Node. */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(e: never) => void>>();

  on<K extends keyof Events>(event: K, listener: (e: Events[K]) => void): () => void {
    const set = this.listeners.get(event) ?? this.listeners.set(event, new Set()).get(event)!;
    set.add(listener as (e: never) => void);
    return () => set.delete(listener as (e: never) => void);
  }

  protected emit<K extends keyof Events>(event: K, value: Events[K]): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (e: Events[K]) => void)(value);
  }
}
