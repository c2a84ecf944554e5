/** Listener lists by event name; each event's argument types are fixed by `Events`. */
export type EventMap = Record<string, unknown[]>;

/**
 * A tiny typed event emitter. EventTarget and Node's EventEmitter are neither typed per event nor available
 * the same way in browsers, React Native and Node, so the client carries its own.
 */
export class Emitter<Events extends EventMap> {
  private readonly listeners: { [K in keyof Events]?: Set<(...args: Events[K]) => void> } = {};

  /** Adds a listener; the returned function removes it. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    const set = this.listeners[event] ?? new Set();
    this.listeners[event] = set;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const listener of [...(this.listeners[event] ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        // A throwing listener must not leave the client half-way through a state change; report it the way
        // EventTarget does, as an uncaught error, after the other listeners ran.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
