/** A handler for events of one type. May be async; its rejection goes to the bus's error hook. */
export type EventHandler<P> = (payload: P) => void | Promise<void>;

/** Options for {@link EventBus.on}. */
export interface SubscribeOptions {
  /** Unsubscribes when this signal aborts. */
  readonly signal?: AbortSignal;
  /** Unsubscribes after the first event. @default false */
  readonly once?: boolean;
}

/** Options for {@link EventBus}. */
export interface EventBusOptions {
  /** Receives errors thrown (or rejected) by handlers. @default report through `process.emitWarning` */
  readonly onHandlerError?: (error: unknown, type: string) => void;
}

/**
 * A typed, synchronous-dispatch event bus. `Events` maps each event type to its payload.
 * A handler that throws or rejects does not stop the others: its error goes to `onHandlerError`.
 * Every subscription can be ended three ways: the returned function, `{ once: true }`, or
 * `{ signal }`; each removes its abort listener, so nothing leaks.
 *
 * @example
 * ```ts
 * const off = run.on("stage:error", (e) => console.error(e.stage, e.error));
 * off();
 * ```
 */
export class EventBus<Events extends object> {
  /** Handlers per type; an array copied on write, so dispatch never sees a half-updated list. */
  #handlers = new Map<keyof Events, ReadonlyArray<EventHandler<never>>>();
  readonly #onHandlerError: (error: unknown, type: string) => void;

  constructor(options: EventBusOptions = {}) {
    this.#onHandlerError =
      options.onHandlerError ??
      ((error, type) => process.emitWarning(`weir: an event handler for "${type}" failed: ${String(error)}`));
  }

  /** Subscribes `handler` to events of `type`; returns the function that unsubscribes it. */
  on<K extends keyof Events>(type: K, handler: EventHandler<Events[K]>, options: SubscribeOptions = {}): () => void {
    const { signal } = options;
    if (signal?.aborted) return () => {};
    let active = true;
    const off = (): void => {
      if (!active) return;
      active = false;
      const list = this.#handlers.get(type) ?? [];
      const next = list.filter((h) => h !== wrapped);
      if (next.length === 0) this.#handlers.delete(type);
      else this.#handlers.set(type, next);
      signal?.removeEventListener("abort", off);
    };
    const wrapped: EventHandler<Events[K]> = options.once
      ? (payload) => {
          off();
          return handler(payload);
        }
      : handler;
    this.#handlers.set(type, [...(this.#handlers.get(type) ?? []), wrapped as EventHandler<never>]);
    signal?.addEventListener("abort", off, { once: true });
    return off;
  }

  /** True when at least one handler listens to `type`: emitters skip building payloads otherwise. */
  has(type: keyof Events): boolean {
    return this.#handlers.has(type);
  }

  /** Number of subscribed handlers, for one type or all. */
  listenerCount(type?: keyof Events): number {
    if (type !== undefined) return this.#handlers.get(type)?.length ?? 0;
    let n = 0;
    for (const list of this.#handlers.values()) n += list.length;
    return n;
  }

  /** Delivers `payload` to every handler of `type`, in subscription order. */
  emit<K extends keyof Events>(type: K, payload: Events[K]): void {
    const list = this.#handlers.get(type);
    if (list === undefined) return;
    for (const handler of list) {
      try {
        const result = (handler as EventHandler<Events[K]>)(payload);
        if (result !== undefined && typeof (result as Promise<void>).then === "function") {
          (result as Promise<void>).then(undefined, (error: unknown) => this.#onHandlerError(error, String(type)));
        }
      } catch (error) {
        this.#onHandlerError(error, String(type));
      }
    }
  }

  /** Removes every handler. */
  clear(): void {
    this.#handlers.clear();
  }
}
