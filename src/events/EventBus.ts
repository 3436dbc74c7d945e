import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { boolean, knownKeys, nonNegativeInt, optional, plainObject } from "../options/validate.js";
import { EventHistory, type RecordedEvent } from "./EventHistory.js";
import type { EventMiddleware } from "./EventMiddleware.js";
import { isEventSink, type EventSink } from "./EventSink.js";
import { optionKeys } from "../options/optionKeys.js";

/** A handler for events of one type. Its return value is ignored, except that a rejected promise goes to the bus's error hook. */
export type EventHandler<P> = (payload: P) => unknown;

/**
 * Options for {@link EventBus.on}. Anything else is refused with an `InvalidOptionError`.
 *
 * @example
 * ```ts
 * bus.on("stage:end", log, { sender: run, signal, once: false });
 * ```
 */
export interface SubscribeOptions {
  /** Unsubscribes when this signal aborts. @default none */
  readonly signal?: AbortSignal;
  /** Unsubscribes after the first event (the first one that passes the `sender` filter). @default false */
  readonly once?: boolean;
  /**
   * Only events this object sent: the pipeline `Run`, `WorkflowRun` or `Runtime` that emitted
   * them (compared by identity), on a bus shared by many. Events emitted on a bus directly have
   * the bus's own `sender` option as their sender, or none (and never match a filter).
   * @default every sender
   * @example `shared.on("stage:end", log, { sender: run })`
   */
  readonly sender?: object;
}

const subscribeKeys = optionKeys<SubscribeOptions>()("signal", "once", "sender");

/** True when `value` looks like an AbortSignal (has `aborted` and the listener methods). */
function isAbortSignal(value: unknown): value is AbortSignal {
  const v = value as Partial<AbortSignal> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.aborted === "boolean" &&
    typeof v.addEventListener === "function" &&
    typeof v.removeEventListener === "function"
  );
}

/** Options for {@link EventBus}. */
export interface EventBusOptions<Events extends object = object> {
  /**
   * Receives errors thrown (or rejected) by handlers and middleware. It must not throw: if it
   * does, its error and the one it was given are reported through `process.emitWarning` instead,
   * so a faulty hook can never break the code that emitted the event.
   * @default report through `process.emitWarning`
   * @example `new EventBus({ onHandlerError: (e, type) => log.error({ type }, e) })`
   */
  readonly onHandlerError?: (error: unknown, type: string) => void;
  /**
   * How many delivered events to keep for {@link EventBus.history} (drop-oldest). `0` keeps none.
   * @default 0
   * @example `new EventBus<WorkflowEvents>({ history: 1_000 })`
   */
  readonly history?: number;
  /**
   * Another bus (any {@link EventSink}) that receives every event emitted on this one as well,
   * after this bus delivered it: the forward bus applies its own middleware, history and
   * handlers to the payload as emitted here (this bus's middleware does not change what is
   * forwarded). A run makes its private bus this way, forwarding to the bus you pass as its
   * `events` option, so one shared bus sees pipelines and workflows alike.
   * {@link EventBus.has} is true when either bus would act on the event.
   * @default none
   * @example `new EventBus<RunEvents>({ forward: shared })`
   */
  readonly forward?: EventSink<Events> | undefined;
  /**
   * The object whose events this bus carries: every event emitted here without a sender of its
   * own has this one, here and on the `forward` bus, where subscribers filter on it with
   * `on(type, handler, { sender })`. A run's private bus has the run as its sender.
   * @default none
   * @example `new EventBus<RunEvents>({ forward: shared, sender: run })`
   */
  readonly sender?: object | undefined;
}

/** One subscription: the handler to call, the sender it listens to, and the function that ends it. */
interface Subscription {
  readonly handler: EventHandler<never>;
  /** Only events from this sender; undefined: every event. */
  readonly sender: object | undefined;
  readonly off: () => void;
}

/**
 * A typed, synchronous-dispatch event bus. `Events` maps each event type to its payload.
 * A handler that throws or rejects does not stop the others: its error goes to `onHandlerError`.
 * Every subscription can be ended three ways: the returned function, `{ once: true }`, or
 * `{ signal }`; each removes its abort listener, so nothing leaks (`clear()` too).
 *
 * Middleware ({@link EventBus.use}) sees each event first and may transform or drop it; the last
 * `history` delivered events are kept and can be listed by type.
 *
 * @example
 * ```ts
 * const off = run.on("stage:error", (e) => console.error(e.stage, e.error));
 * off();
 * ```
 */
export class EventBus<Events extends object> {
  /** Subscriptions per type; an array copied on write, so dispatch never sees a half-updated list. */
  #handlers = new Map<keyof Events, readonly Subscription[]>();
  /** Middleware in order; copied on write like the handler lists. */
  #middleware: readonly EventMiddleware<Events>[] = [];
  readonly #history: EventHistory<Events> | undefined;
  readonly #onHandlerError: ((error: unknown, type: string) => void) | undefined;
  readonly #forward: EventSink<Events> | undefined;
  /** The sender of events emitted here without one. */
  readonly #sender: object | undefined;

  constructor(options: EventBusOptions<Events> = {}) {
    this.#onHandlerError = optional(options.onHandlerError, undefined, (v) => {
      if (typeof v !== "function") throw new InvalidOptionError("onHandlerError", "a function", v, "event bus");
      return v as (error: unknown, type: string) => void;
    });
    const size = optional(options.history, 0, (v) => nonNegativeInt(v, "history", "event bus"));
    this.#history = size > 0 ? new EventHistory<Events>(size) : undefined;
    this.#forward = optional(options.forward, undefined, (v) => {
      if (!isEventSink(v))
        throw new InvalidOptionError("forward", "an EventBus (an object with has and emit)", v, "event bus");
      return v as EventSink<Events>;
    });
    this.#sender = optional(options.sender, undefined, (v) => senderOption(v, "sender", "event bus"));
  }

  /**
   * Subscribes `handler` to events of `type` (from one `sender` only, when given); returns the
   * function that unsubscribes it. Throws an `InvalidOptionError` for a handler that is not a
   * function or an unknown or invalid option.
   */
  on<K extends keyof Events>(type: K, handler: EventHandler<Events[K]>, options: SubscribeOptions = {}): () => void {
    const where = `event bus, on("${String(type)}")`;
    if (typeof handler !== "function") throw new InvalidOptionError("handler", "a function", handler, where);
    const o = plainObject(options, "options", where);
    knownKeys(o, subscribeKeys, "", where);
    const signal = optional(o.signal, undefined, (v) => {
      if (!isAbortSignal(v)) throw new InvalidOptionError("signal", "an AbortSignal", v, where);
      return v;
    });
    const once = optional(o.once, false, (v) => boolean(v, "once", where));
    const sender = optional(o.sender, undefined, (v) => senderOption(v, "sender", where));
    if (signal?.aborted) return () => {};
    let active = true;
    const off = (): void => {
      if (!active) return;
      active = false;
      const list = this.#handlers.get(type) ?? [];
      const next = list.filter((s) => s !== subscription);
      if (next.length === 0) this.#handlers.delete(type);
      else this.#handlers.set(type, next);
      signal?.removeEventListener("abort", off);
    };
    const wrapped: EventHandler<Events[K]> = once
      ? (payload) => {
          off();
          return handler(payload);
        }
      : handler;
    const subscription: Subscription = { handler: wrapped as EventHandler<never>, sender, off };
    this.#handlers.set(type, [...(this.#handlers.get(type) ?? []), subscription]);
    signal?.addEventListener("abort", off, { once: true });
    return off;
  }

  /**
   * Adds a middleware that sees every event before handlers; returns the function that removes it.
   *
   * @example
   * ```ts
   * const remove = bus.use((type, payload, next) => { if (type !== "noisy") next(payload); });
   * ```
   */
  use(middleware: EventMiddleware<Events>): () => void {
    this.#middleware = [...this.#middleware, middleware];
    return () => {
      this.#middleware = this.#middleware.filter((m) => m !== middleware);
    };
  }

  /**
   * True when emitting `type` would have an effect (a handler listens, or middleware or history
   * is on): emitters skip building payloads otherwise.
   */
  has(type: keyof Events): boolean {
    return (
      this.#handlers.has(type) ||
      this.#middleware.length > 0 ||
      this.#history !== undefined ||
      (this.#forward !== undefined && this.#forward.has(type))
    );
  }

  /** Number of subscribed handlers, for one type or all. */
  listenerCount(type?: keyof Events): number {
    if (type !== undefined) return this.#handlers.get(type)?.length ?? 0;
    let n = 0;
    for (const list of this.#handlers.values()) n += list.length;
    return n;
  }

  /**
   * Delivers `payload` to every handler of `type` (those filtering on another sender excepted),
   * in subscription order, after middleware; then emits it on the `forward` bus, if any, with the
   * same sender. `sender` defaults to the bus's `sender` option. Never throws because of a
   * handler, a middleware or the error hook.
   */
  emit<K extends keyof Events>(type: K, payload: Events[K], sender: object | undefined = this.#sender): void {
    if (this.#middleware.length === 0) this.#deliver(type, payload, sender);
    else this.#through(0, this.#middleware, type, payload, sender);
    this.#forward?.emit(type, payload, sender);
  }

  /**
   * The last delivered events (up to the `history` option), oldest first; only those of `type`
   * when given. Events dropped by middleware are not recorded; transformed ones are recorded as
   * delivered.
   *
   * @example
   * ```ts
   * const bus = new EventBus<WorkflowEvents>({ history: 100 });
   * bus.history("task:end").filter((e) => e.payload.task.status === "failed");
   * ```
   */
  history<K extends keyof Events>(type?: K): RecordedEvent<Events, K>[] {
    return this.#history?.list(type) ?? [];
  }

  /** Removes every handler (and each one's abort listener on its signal). Middleware and history stay. */
  clear(): void {
    for (const list of [...this.#handlers.values()]) for (const s of list) s.off();
    this.#handlers.clear();
  }

  /** Runs middleware `i` onwards, then delivers. A middleware's second call to `next` is ignored. */
  #through<K extends keyof Events>(
    i: number,
    chain: readonly EventMiddleware<Events>[],
    type: K,
    payload: Events[K],
    sender: object | undefined,
  ): void {
    const middleware = chain[i];
    if (middleware === undefined) {
      this.#deliver(type, payload, sender);
      return;
    }
    let passed = false;
    try {
      middleware(type, payload, (next) => {
        if (passed) return;
        passed = true;
        this.#through(i + 1, chain, type, next, sender);
      });
    } catch (error) {
      this.#report(error, type);
    }
  }

  /** Hands a handler's or middleware's error to the hook; a hook that throws is reported as a warning. */
  #report(error: unknown, type: keyof Events): void {
    const hook = this.#onHandlerError;
    if (hook !== undefined) {
      try {
        hook(error, String(type));
        return;
      } catch (hookError) {
        process.emitWarning(
          `weir: the onHandlerError hook threw ${String(hookError)} while reporting: ${String(error)}`,
          {
            type: "WeirEventWarning",
            detail: `event "${String(type)}"`,
          },
        );
        return;
      }
    }
    process.emitWarning(`weir: an event handler for "${String(type)}" failed: ${String(error)}`, {
      type: "WeirEventWarning",
    });
  }

  #deliver<K extends keyof Events>(type: K, payload: Events[K], sender: object | undefined): void {
    this.#history?.record(type, payload, sender);
    const list = this.#handlers.get(type);
    if (list === undefined) return;
    for (const { handler, sender: only } of list) {
      if (only !== undefined && only !== sender) continue;
      try {
        const result = (handler as EventHandler<Events[K]>)(payload);
        if (result instanceof Promise) {
          result.then(undefined, (error: unknown) => this.#report(error, type));
        } else if (
          typeof result === "object" &&
          result !== null &&
          typeof (result as PromiseLike<unknown>).then === "function"
        ) {
          (result as PromiseLike<unknown>).then(undefined, (error: unknown) => this.#report(error, type));
        }
      } catch (error) {
        this.#report(error, type);
      }
    }
  }
}

/** Checks a sender: an object (or a function) compared by identity. */
function senderOption(value: unknown, option: string, where: string): object {
  if ((typeof value !== "object" && typeof value !== "function") || value === null)
    throw new InvalidOptionError(
      option,
      "an object (the run, workflow run or runtime that sends the events)",
      value,
      where,
    );
  return value;
}
