import type { WorkerEnd } from "../wire/WireMessage.js";
import { setWorkerValues } from "./ItemContext.js";
import { moduleLabel } from "../wire/moduleLabel.js";

/** What a worker module's lifecycle tells its runtime. */
export interface WorkerModuleEvents {
  /** The module loaded and its `setup` (if any) ran: items may start. */
  ready(exports: Record<string, unknown>): void;
  /** Loading the module threw (`inSetup` false), or its `setup` threw or rejected. */
  failed(error: unknown, inSetup: boolean): void;
}

/**
 * The user's module inside one worker, and its lifecycle: imported as the worker starts; once the
 * pool's `workerData` has arrived, its `setup` export (when it is a function) runs once, and what
 * it returns becomes every item's `ctx.local`; on a graceful end its `teardown` export runs with
 * that value. A module without them costs nothing more.
 */
export class WorkerModule {
  readonly #moduleUrl: string;
  readonly #context: "worker" | "process";
  readonly #events: WorkerModuleEvents;
  #exports: Record<string, unknown> | undefined;
  #data: { readonly value: unknown } | undefined;
  #local: unknown;
  /** `setup` has run (or there was none): `teardown` may run. */
  #setUp = false;

  constructor(moduleUrl: string, context: "worker" | "process", events: WorkerModuleEvents) {
    this.#moduleUrl = moduleUrl;
    this.#context = context;
    this.#events = events;
    import(moduleUrl).then(
      (m: Record<string, unknown>) => {
        this.#exports = m;
        this.#setup();
      },
      (error: unknown) => events.failed(error, false),
    );
  }

  /** The pool's `workerData` arrived (the first message of every worker). */
  start(workerData: unknown): void {
    if (this.#data !== undefined) return;
    this.#data = { value: workerData };
    this.#setup();
  }

  /**
   * Runs `teardown` (when the module exports one and `setup` completed) with what `setup`
   * returned; resolves when it has ended. What it throws goes to stderr: no item is left to
   * fail with it.
   */
  async teardown(reason: WorkerEnd): Promise<void> {
    const teardown = this.#exports?.teardown;
    if (!this.#setUp || typeof teardown !== "function") return;
    try {
      await (teardown as (info: object) => unknown)({
        local: this.#local,
        workerData: this.#data?.value,
        context: this.#context,
        reason,
      });
    } catch (error) {
      const said = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
      process.stderr.write(`weir: the teardown of ${moduleLabel(this.#moduleUrl)} threw (${reason}): ${said}\n`);
    }
  }

  /** Once both the module and the data are here: runs `setup`, then says ready. */
  #setup(): void {
    const exports = this.#exports;
    const data = this.#data;
    if (exports === undefined || data === undefined) return;
    const setup = exports.setup;
    if (typeof setup !== "function") {
      this.#ready(exports, undefined);
      return;
    }
    let local: unknown;
    try {
      local = (setup as (info: object) => unknown)({ workerData: data.value, context: this.#context });
    } catch (error) {
      this.#events.failed(error, true);
      return;
    }
    Promise.resolve(local).then(
      (value) => this.#ready(exports, value),
      (error: unknown) => this.#events.failed(error, true),
    );
  }

  #ready(exports: Record<string, unknown>, local: unknown): void {
    this.#local = local;
    this.#setUp = true;
    setWorkerValues(local, this.#data?.value);
    this.#events.ready(exports);
  }
}
