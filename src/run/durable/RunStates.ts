/**
 * The state the stages of one durable run declared (`durableState()`), by name: created on first
 * use (restored from the run's last checkpoint when it has one), and snapshotted into every
 * checkpoint, in the checkpoint's transaction. A value restored and not used again is kept.
 */
export class RunStates {
  readonly #values = new Map<string, unknown>();
  readonly #restored: Readonly<Record<string, unknown>>;

  constructor(restored: Readonly<Record<string, unknown>> = {}) {
    this.#restored = restored;
  }

  /** The run's value for `name`: the live one, the restored one, or a fresh `initial()`. */
  get(name: string, initial: () => unknown): unknown {
    if (this.#values.has(name)) return this.#values.get(name);
    const value = Object.hasOwn(this.#restored, name) ? this.#restored[name] : initial();
    this.#values.set(name, value);
    return value;
  }

  /** Every value, for a checkpoint (undefined when there is none). */
  snapshot(): Record<string, unknown> | undefined {
    if (this.#values.size === 0 && Object.keys(this.#restored).length === 0) return undefined;
    return { ...this.#restored, ...Object.fromEntries(this.#values) };
  }
}

const byRun = new Map<string, RunStates>();

/** Registers a durable run's states while it runs. */
export function registerStates(runId: string, states: RunStates): void {
  byRun.set(runId, states);
}

/** Forgets a run's states (it ended). */
export function unregisterStates(runId: string, states: RunStates): void {
  if (byRun.get(runId) === states) byRun.delete(runId);
}

/**
 * The states of the durable run in progress in this process that item key `key` belongs to:
 * `<runId>/<index>`, or `<runId>/<source>/<position>` with several sources.
 */
export function statesOfKey(key: string): RunStates | undefined {
  let end = key.lastIndexOf("/");
  for (let tries = 0; tries < 2 && end > 0; tries++) {
    const states = byRun.get(key.slice(0, end));
    if (states !== undefined) return states;
    end = key.lastIndexOf("/", end - 1);
  }
  return undefined;
}
