import { CancelledError } from "../errors/CancelledError.js";
import { ComponentError } from "../errors/ComponentError.js";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import type { EventBus, EventHandler, SubscribeOptions } from "../events/EventBus.js";
import { runBus } from "../events/runBus.js";
import { workflow } from "../workflow/createWorkflow.js";
import type { WorkflowRun } from "../workflow/run/WorkflowRun.js";
import { checkHealth } from "./checkHealth.js";
import type { ComponentSpec } from "./Component.js";
import { componentDefinition, type ComponentDefinition } from "./ComponentDefinition.js";
import { Healer } from "./Healer.js";
import { HealthMonitor } from "./HealthMonitor.js";
import type { HealthReport } from "./HealthStatus.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import { fillRuntimeOptions, type FilledRuntimeOptions, type RuntimeOptions } from "./RuntimeOptions.js";
import type { ComponentStart, StartReport, StopReport } from "./RuntimeReport.js";
import {
  runShutdownHook,
  shutdownHookDefinition,
  type ShutdownHook,
  type ShutdownHookDefinition,
  type ShutdownHookOptions,
} from "./ShutdownHook.js";
import { shutdownReport, shutdownTasks } from "./shutdownTasks.js";
import { stopInstance } from "./stopInstance.js";
import { installSignalHandlers } from "./signalHandlers.js";
import { componentStart, startUpTasks } from "./startUpTasks.js";

type Known<R> = keyof R & string;
type NewName<N extends string, R> = N extends keyof R ? never : N;
type Instances<R, D extends readonly string[]> = { readonly [K in D[number]]: K extends keyof R ? R[K] : never };
type None = Record<never, never>;

/** Life cycle of a runtime. */
export type RuntimeState = "idle" | "starting" | "started" | "stopping" | "stopped" | "failed";

/** What a runtime is made of; shared (never changed) by the builders made from one another. */
interface Definition {
  readonly options: FilledRuntimeOptions;
  readonly components: ReadonlyMap<string, ComponentDefinition>;
  readonly hooks: ReadonlyMap<string, ShutdownHookDefinition>;
}

/**
 * Components with a life cycle, started in dependency order (independent ones in parallel under
 * a cap, higher `priority` first, each with a start timeout and retries), health-checked on an
 * interval (and healed: restarted, with their dependents, or the runtime stopped, as each
 * component's `onUnhealthy` says), and stopped in reverse order after the shutdown hooks (each
 * step isolated; `stop()` twice is safe). A critical component that fails to start aborts
 * start-up; an optional one degrades it. A stopped runtime can be started again.
 *
 * The builder is immutable, like the workflow builder: `.component()` and `.onShutdown()` return
 * a new runtime (with the new component's instance typed) and leave the one called on as it was.
 *
 * @example
 * ```ts
 * const app = runtime({ signals: true })
 *   .component("db", { start: () => connect(url), stop: (db) => db.close(), health: (db) => db.ping() ? "healthy" : "unhealthy" })
 *   .component("cache", { critical: false, start: () => redis() , stop: (c) => c.quit() })
 *   .component("http", { dependsOn: ["db", "cache"], start: ({ deps }) => serve(deps.db, deps.cache), stop: (s) => s.close() });
 * const report = await app.start(); // "healthy" or "degraded"
 * ```
 */
export class Runtime<R = None> {
  readonly #definition: Definition;
  readonly #bus: EventBus<RuntimeEvents>;
  readonly #instances = new Map<string, unknown>();
  readonly #starts = new Map<string, ComponentStart>();
  #state: RuntimeState = "idle";
  #startRun: WorkflowRun | undefined;
  #starting: Promise<StartReport> | undefined;
  #stopping: Promise<StopReport> | undefined;
  #monitor: HealthMonitor | undefined;
  #removeSignals: (() => void) | undefined;
  /** The shutdown workflow while stopping. */
  #shutdown: WorkflowRun | undefined;
  /** Set when stopping must not wait any longer (a signal while stopping): why. */
  #hurry: string | undefined;
  #health: HealthReport | undefined;
  /** Self-healing while started (one per start). */
  #healer: Healer | undefined;

  /** @internal Use {@link runtime}. `definition` is how `.component()` makes the next builder. */
  constructor(options: RuntimeOptions = {}, definition?: Definition) {
    this.#definition = definition ?? {
      options: fillRuntimeOptions(options),
      components: new Map(),
      hooks: new Map(),
    };
    this.#bus = runBus<RuntimeEvents>(this.#definition.options.events, "runtime", this);
  }

  /** Where the runtime is in its life cycle. */
  get state(): RuntimeState {
    return this.#state;
  }

  /**
   * Returns a runtime with one more component (this one is not changed). `dependsOn` names
   * components added before it (so dependencies cannot form a cycle); their instances are typed
   * in `start`'s `ctx.deps`. Throws an `InvalidOptionError` for a bad spec, and on a runtime that
   * was started.
   */
  component<const N extends string, T, const D extends readonly Known<R>[] = readonly []>(
    name: N & NewName<N, R>,
    spec: ComponentSpec<Instances<R, D>, T, D>,
  ): Runtime<R & { readonly [K in N]: T }> {
    if (this.#state !== "idle")
      throw new InvalidOptionError("component", "components added before start()", name, "runtime");
    const { components } = this.#definition;
    const c = componentDefinition(name, spec, components);
    return new Runtime<R & { readonly [K in N]: T }>(undefined, {
      ...this.#definition,
      components: new Map([...components, [c.name, c]]),
    });
  }

  /**
   * Returns a runtime with one more shutdown hook (this one is not changed): a cleanup step that
   * `stop()` runs, by `priority` (higher first; equal ones in parallel), each within its own
   * `timeoutMs` and all within the stop's grace period, before the components stop (or after,
   * with `phase: "after-components"`). A hook's failure or timeout is reported in the stop
   * report and `hook:end`, and the rest still run. Throws an `InvalidOptionError` for a bad
   * hook or option, a name another hook has, and on a runtime that was started.
   *
   * @example
   * ```ts
   * app.onShutdown("close listeners", () => server.close(), { priority: 30 })
   *    .onShutdown("flush buffers", () => buffer.flush(), { priority: 20, timeoutMs: 2_000 })
   *    .onShutdown("close files", () => log.close(), { priority: 10, phase: "after-components" });
   * ```
   */
  onShutdown(name: string, hook: ShutdownHook<R>, options: ShutdownHookOptions = {}): Runtime<R> {
    if (this.#state !== "idle")
      throw new InvalidOptionError("onShutdown", "shutdown hooks added before start()", name, "runtime");
    const { hooks } = this.#definition;
    const h = shutdownHookDefinition(name, hook, options, hooks);
    return new Runtime<R>(undefined, { ...this.#definition, hooks: new Map([...hooks, [h.name, h]]) });
  }

  /** The started instance of component `name`; throws when it is not running. */
  get<K extends Known<R>>(name: K): R[K] {
    if (!this.#instances.has(name)) throw new InvalidOptionError("name", "a started component", name, "runtime");
    return this.#instances.get(name) as R[K];
  }

  /** Subscribes to runtime events; returns the unsubscribe function. */
  on<K extends keyof RuntimeEvents>(
    type: K,
    handler: EventHandler<RuntimeEvents[K]>,
    options?: SubscribeOptions,
  ): () => void {
    return this.#bus.on(type, handler, options);
  }

  /**
   * Starts every component in dependency order. Resolves with a report (`healthy`, or `degraded`
   * when an optional component did not start); rejects with a `ComponentError` when a critical one
   * failed (after stopping what had started), or a `CancelledError` when `stop()` interrupted it.
   * While starting or started, calling it again returns the same promise. Once stopped (or after
   * a failed start-up), it starts the runtime again from a clean state: new instances, new
   * reports, health and healing counts forgotten. Called while a stop is in progress, it waits
   * for the stop, then starts again.
   */
  start(): Promise<StartReport> {
    if (this.#stopping !== undefined) {
      if (this.#state !== "stopped" && this.#state !== "failed") return this.#stopping.then(() => this.start());
      this.#reset();
    }
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /**
   * Stops started components, dependents before their dependencies, each step isolated (a
   * failure or timeout is reported and the rest go on). Interrupts a start-up in progress.
   * Never rejects; calling it again returns the same promise.
   *
   * @param options.graceMs - after this long, steps still running are abandoned (their signals abort). @default Infinity
   */
  stop(options: { readonly graceMs?: number } = {}): Promise<StopReport> {
    this.#stopping ??= this.#stop(options.graceMs ?? Infinity);
    return this.#stopping;
  }

  /**
   * For `await using app = runtime()…`: when the scope ends, the runtime is stopped
   * ({@link Runtime.stop}, no grace limit) and the scope waits for the stop. Never throws; read the
   * report from `await app.stop()` when it matters.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** The last health report (undefined before the first check). */
  health(): HealthReport | undefined {
    return this.#health;
  }

  /**
   * Checks every started component now (each with its timeout; a throw is unhealthy) and reports.
   * While started, the report also counts towards each component's `onUnhealthy` (a check on
   * demand counts like a periodic one).
   */
  async checkHealth(): Promise<HealthReport> {
    const healer = this.#healer;
    const begun = healer?.checkBegins();
    const report = await checkHealth(
      this.#definition.components.values(),
      this.#instances,
      this.#definition.options.clock,
    );
    const changed = this.#health?.status !== report.status;
    this.#health = report;
    if (changed) this.#bus.emit("runtime:health", report);
    if (this.#state === "started" && healer === this.#healer && begun !== undefined) healer?.observe(report, begun);
    return report;
  }

  /** Forgets the last start and stop, so that start() begins again from idle. */
  #reset(): void {
    this.#starts.clear();
    this.#instances.clear();
    this.#state = "idle";
    this.#startRun = undefined;
    this.#starting = undefined;
    this.#stopping = undefined;
    this.#monitor = undefined;
    this.#hurry = undefined;
    this.#health = undefined;
    this.#healer = undefined;
  }

  async #start(): Promise<StartReport> {
    if (this.#state !== "idle")
      throw new InvalidOptionError("start", "a runtime that was not stopped", this.#state, "runtime");
    this.#state = "starting";
    this.#installSignals();
    const { options, components } = this.#definition;
    const { clock, concurrency, random } = options;
    const t0 = clock.now();
    const specs = startUpTasks(components.values(), {
      started: (name, instance) => this.#instances.set(name, instance),
      discard: (c, instance) => void this.#stopOne(c, instance).catch(() => undefined),
    });
    const run = workflow("runtime start-up").tasks(specs).run({ concurrency, clock, random });
    this.#startRun = run;
    run.on("task:end", ({ task }) => {
      const c = components.get(task.name)!;
      const start = componentStart(task, c, this.#starts);
      this.#starts.set(task.name, start);
      if (start.status === "started")
        this.#bus.emit("component:started", {
          component: c.name,
          attempts: start.attempts,
          durationMs: start.durationMs ?? 0,
        });
      else if (start.status !== "cancelled")
        this.#bus.emit("component:failed", { component: c.name, phase: "start", error: start.error });
    });
    await run;
    const durationMs = clock.now() - t0;
    if (this.#stopping !== undefined) throw new CancelledError("runtime start-up", "stop() was called");
    const critical = [...components.values()].filter((c) => c.critical);
    const blocker =
      critical.find((c) => this.#starts.get(c.name)?.status === "failed") ??
      critical.find((c) => this.#starts.get(c.name)?.status !== "started");
    if (blocker !== undefined) {
      this.#state = "failed";
      const start = this.#starts.get(blocker.name);
      await this.stop();
      this.#state = "failed";
      throw new ComponentError(blocker.name, "start", start?.error ?? new Error("did not start"), start?.attempts ?? 0);
    }
    this.#state = "started";
    const degraded = [...this.#starts.values()].some((s) => s.status !== "started");
    this.#healer = new Healer({
      clock,
      random,
      components,
      instances: this.#instances,
      emit: (type, payload) => this.#bus.emit(type, payload),
      stop: (c, instance, signal) => this.#stopOne(c, instance, signal),
      discard: (c, instance) => void this.#stopOne(c, instance).catch(() => undefined),
      stopRuntime: () => void this.stop(),
    });
    this.#monitor = new HealthMonitor(clock, options.healthIntervalMs, () => this.checkHealth());
    this.#monitor.start();
    return Object.freeze({
      status: degraded ? "degraded" : "healthy",
      components: Object.freeze(Object.fromEntries(this.#starts)),
      durationMs,
    });
  }

  async #stop(graceMs: number): Promise<StopReport> {
    const { options, components } = this.#definition;
    const { clock, concurrency } = options;
    const t0 = clock.now();
    this.#monitor?.stop();
    if (this.#state === "starting" && this.#startRun !== undefined) {
      this.#startRun.cancel("stop() was called");
      await this.#startRun;
    }
    const failedStart = this.#state === "failed";
    this.#state = "stopping";
    // restarts in progress end first (what they start late is discarded)
    await this.#healer?.close();
    const started = [...components.values()].filter((c) => this.#instances.has(c.name));
    // hooks clean up after a start; a runtime never started has nothing to clean
    const hooks = this.#starting === undefined ? [] : [...this.#definition.hooks.values()];
    const specs = shutdownTasks(started, hooks, {
      stop: (c, signal) => this.#stopOne(c, this.#instances.get(c.name), signal),
      hook: (h, signal) => runShutdownHook(h, this.#instances, clock, signal),
    });
    const run = workflow("runtime shutdown").tasks(specs).run({ concurrency, clock });
    this.#shutdown = run;
    if (this.#hurry !== undefined) run.cancel(this.#hurry);
    const grace = Number.isFinite(graceMs)
      ? clock.setTimer(() => run.cancel(`grace period of ${graceMs} ms ran out`), graceMs)
      : undefined;
    const result = await run;
    grace?.cancel();
    this.#shutdown = undefined;
    // only now does a signal get Node's default behaviour again
    this.#removeSignals?.();
    this.#removeSignals = undefined;
    const parts = shutdownReport(result, started, hooks, (type, payload) => this.#bus.emit(type, payload));
    this.#instances.clear();
    this.#state = failedStart ? "failed" : "stopped";
    return Object.freeze({ ok: result.ok, ...parts, durationMs: clock.now() - t0 });
  }

  /** Stops one instance within its stop timeout (or until `outer` aborts). */
  #stopOne(c: ComponentDefinition, instance: unknown, outer?: AbortSignal): Promise<unknown> {
    return stopInstance(c, instance, this.#definition.options.clock, outer);
  }

  /**
   * From start() until stop() is complete: the first signal stops with the grace period; a signal
   * while already stopping (a second Ctrl-C, or one during a stop() called by code) gives up the
   * grace period and abandons what is still stopping.
   */
  #installSignals(): void {
    const s = this.#definition.options.signals;
    if (s === undefined) return;
    this.#removeSignals = installSignalHandlers(s.target, s.signals, (signal) => {
      if (this.#stopping === undefined) {
        this.#bus.emit("runtime:signal", { signal, graceMs: s.graceMs });
        void this.stop({ graceMs: s.graceMs });
        return;
      }
      this.#bus.emit("runtime:signal", { signal, graceMs: 0 });
      this.#hurry ??= `${signal} received while stopping`;
      this.#shutdown?.cancel(this.#hurry);
    });
  }
}
