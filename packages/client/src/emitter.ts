/**
 * A small typed emitter over a discriminated union of events (`type` is the
 * tag). A listener that throws does not break the client: its error is rethrown
 * on a microtask, where the host reports it as uncaught.
 */
export class Emitter<E extends { type: string }> {
  private readonly listeners = new Map<string, Set<(event: never) => void>>();

  on<T extends E['type']>(type: T, listener: (event: Extract<E, { type: T }>) => void): () => void {
    const set = this.listeners.get(type) ?? this.listeners.set(type, new Set()).get(type)!;
    set.add(listener as (event: never) => void);
    return () => set.delete(listener as (event: never) => void);
  }

  protected emit(event: E): void {
    const set = this.listeners.get(event.type);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as (event: E) => void)(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
