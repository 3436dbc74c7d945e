import { CancelledError } from "../errors/CancelledError.js";
import { ComponentError } from "../errors/ComponentError.js";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { EventBus, type EventHandler, type SubscribeOptions } from "../events/EventBus.js";
import { func, knownKeys, nonEmptyString, optional, plainObject, positiveNumber } from "../options/validate.js";
import { retryPolicy } from "../policy/retry.js";
import type { TaskState } from "../state/TaskState.js";
import { workflow, type TaskSpec } from "../workflow/Workflow.js";
import type { WorkflowRun } from "../workflow/WorkflowRun.js";
import { callWithTimeout } from "./callWithTimeout.js";
import { componentDefaults, type ComponentSpec } from "./Component.js";
import { HealthMonitor } from "./HealthMonitor.js";
import type { ComponentHealth, HealthCheckResult, HealthReport, HealthStatus } from "./HealthStatus.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import { fillRuntimeOptions, type FilledRuntimeOptions, type RuntimeOptions } from "./RuntimeOptions.js";
import type { ComponentStart, ComponentStop, StartReport, StopReport } from "./RuntimeReport.js";

type Known<R> = keyof R & string;
type NewName<N extends string, R> = N extends keyof R ? never : N;
type Instances<R, D extends readonly string[]> = { readonly [K in D[number]]: K extends keyof R ? R[K] : never };
type None = Record<never, never>;

/** Life cycle of a runtime. */
export type RuntimeState = "idle" | "starting" | "started" | "stopping" | "stopped" | "failed";

/** A component's spec, validated. */
interface Filled {
  readonly name: string;
  readonly dependsOn: readonly string[];
  readonly critical: boolean;
  readonly spec: ComponentSpec<Record<string, unknown>, unknown>;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly healthTimeoutMs: number;
}

const specKeys = ["dependsOn", "critical", "start", "stop", "health", "startTimeoutMs", "stopTimeoutMs", "healthTimeoutMs", "retry"];
const rank: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/**
 * Components with a life cycle, started in dependency order (independent ones in parallel under
 * a cap, each with a start timeout and retries), health-checked on an interval, and stopped in
 * reverse order (each step isolated; `stop()` twice is safe). A critical component that fails to
 * start aborts start-up; an optional one degrades it.
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
  readonly #options: FilledRuntimeOptions;
  readonly #components = new Map<string, Filled>();
  readonly #bus = new EventBus<RuntimeEvents>();
  readonly #instances = new Map<string, unknown>();
  readonly #starts = new Map<string, ComponentStart>();
  #state: RuntimeState = "idle";
  #startRun: WorkflowRun | undefined;
  #starting: Promise<StartReport> | undefined;
  #stopping: Promise<StopReport> | undefined;
  #monitor: HealthMonitor | undefined;
  #removeSignals: (() => void) | undefined;
  #health: HealthReport | undefined;

  /** @internal Use {@link runtime}. */
  constructor(options: RuntimeOptions = {}) {
    this.#options = fillRuntimeOptions(options);
  }

  /** Where the runtime is in its life cycle. */
  get state(): RuntimeState {
    return this.#state;
  }

  /**
   * Adds a component. `dependsOn` names components added before it (so dependencies cannot form
   * a cycle); their instances are typed in `start`'s `ctx.deps`.
   */
  component<const N extends string, T, const D extends readonly Known<R>[] = readonly []>(
    name: N & NewName<N, R>,
    spec: ComponentSpec<Instances<R, D>, T, D>,
  ): Runtime<R & { readonly [K in N]: T }> {
    const where = "runtime";
    const n = nonEmptyString(name, "component name", where);
    const at = `component "${n}"`;
    if (this.#state !== "idle") throw new InvalidOptionError("component", "components added before start()", n, where);
    if (this.#components.has(n)) throw new InvalidOptionError("component name", "a name no other component has", n, where);
    const o = plainObject(spec, "spec", at);
    knownKeys(o, specKeys, "", at);
    func(o.start, "start", at);
    if (o.stop !== undefined) func(o.stop, "stop", at);
    if (o.health !== undefined) func(o.health, "health", at);
    retryPolicy(o.retry, at);
    const dependsOn = optional(o.dependsOn, [] as readonly string[], (v) => {
      if (!Array.isArray(v)) throw new InvalidOptionError("dependsOn", "an array of component names", v, at);
      return v.map((d, i) => {
        if (!this.#components.has(d as string)) throw new InvalidOptionError(`dependsOn[${i}]`, "a component added before this one", d, at);
        return d as string;
      });
    });
    this.#components.set(n, {
      name: n,
      dependsOn,
      critical: optional(o.critical, componentDefaults.critical, (v) => {
        if (typeof v !== "boolean") throw new InvalidOptionError("critical", "true or false", v, at);
        return v;
      }),
      spec: spec as unknown as ComponentSpec<Record<string, unknown>, unknown>,
      startTimeoutMs: optional(o.startTimeoutMs, componentDefaults.startTimeoutMs, (v) => positiveNumber(v, "startTimeoutMs", at)),
      stopTimeoutMs: optional(o.stopTimeoutMs, componentDefaults.stopTimeoutMs, (v) => positiveNumber(v, "stopTimeoutMs", at)),
      healthTimeoutMs: optional(o.healthTimeoutMs, componentDefaults.healthTimeoutMs, (v) => positiveNumber(v, "healthTimeoutMs", at)),
    });
    return this as unknown as Runtime<R & { readonly [K in N]: T }>;
  }

  /** The started instance of component `name`; throws when it is not running. */
  get<K extends Known<R>>(name: K): R[K] {
    if (!this.#instances.has(name)) throw new InvalidOptionError("name", "a started component", name, "runtime");
    return this.#instances.get(name) as R[K];
  }

  /** Subscribes to runtime events; returns the unsubscribe function. */
  on<K extends keyof RuntimeEvents>(type: K, handler: EventHandler<RuntimeEvents[K]>, options?: SubscribeOptions): () => void {
    return this.#bus.on(type, handler, options);
  }

  /**
   * Starts every component in dependency order. Resolves with a report (`healthy`, or `degraded`
   * when an optional component did not start); rejects with a `ComponentError` when a critical one
   * failed (after stopping what had started), or a `CancelledError` when `stop()` interrupted it.
   * Calling it again returns the same promise.
   */
  start(): Promise<StartReport> {
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

  /** The last health report (undefined before the first check). */
  health(): HealthReport | undefined {
    return this.#health;
  }

  /** Checks every started component now (each with its timeout; a throw is unhealthy) and reports. */
  async checkHealth(): Promise<HealthReport> {
    const { clock } = this.#options;
    const entries = await Promise.all(
      [...this.#components.values()].map(async (c): Promise<[string, ComponentHealth]> => {
        if (!this.#instances.has(c.name)) return [c.name, { status: "unhealthy", detail: "not running", at: clock.now() }];
        const check = c.spec.health;
        if (check === undefined) return [c.name, { status: "healthy", detail: undefined, at: clock.now() }];
        const instance = this.#instances.get(c.name);
        try {
          const out = await callWithTimeout<HealthCheckResult>(`component "${c.name}" health check`, clock, c.healthTimeoutMs, (signal) =>
            check(instance, { signal, name: c.name }),
          );
          const [status, detail] = typeof out === "string" ? [out, undefined] : [out.status, out.detail];
          if (!(status in rank)) return [c.name, { status: "unhealthy", detail: `invalid health status ${String(status)}`, at: clock.now() }];
          return [c.name, { status, detail, at: clock.now() }];
        } catch (error) {
          return [c.name, { status: "unhealthy", detail: error instanceof Error ? error.message : String(error), at: clock.now() }];
        }
      }),
    );
    let status: HealthStatus = "healthy";
    for (const [name, h] of entries) {
      const critical = this.#components.get(name)!.critical;
      const effect: HealthStatus = h.status === "unhealthy" && !critical ? "degraded" : h.status;
      if (rank[effect] > rank[status]) status = effect;
    }
    const report: HealthReport = Object.freeze({ status, components: Object.freeze(Object.fromEntries(entries)), at: clock.now() });
    const changed = this.#health?.status !== report.status;
    this.#health = report;
    if (changed) this.#emit("runtime:health", report);
    return report;
  }

  async #start(): Promise<StartReport> {
    if (this.#state !== "idle") throw new InvalidOptionError("start", "a runtime that was not stopped", this.#state, "runtime");
    this.#state = "starting";
    this.#installSignals();
    const { clock, concurrency, random } = this.#options;
    const t0 = clock.now();
    const specs: TaskSpec[] = [...this.#components.values()].map((c) => ({
      name: c.name,
      after: c.dependsOn,
      retry: c.spec.retry ?? 1,
      timeoutMs: c.startTimeoutMs,
      onFailure: c.critical ? "fail-workflow" : "skip-dependents",
      run: async (ctx) => {
        const instance = await c.spec.start({ deps: ctx.results, signal: ctx.signal, attempt: ctx.attempt, name: c.name });
        if (ctx.signal.aborted) {
          // timed out or aborted while starting: nobody will use it, so stop it (isolated)
          void this.#stopOne(c, instance).catch(() => undefined);
          throw ctx.signal.reason;
        }
        this.#instances.set(c.name, instance);
        return instance;
      },
    }));
    const run = workflow("runtime start-up").tasks(specs).run({ concurrency, clock, random });
    this.#startRun = run;
    run.on("task:end", ({ task }) => this.#started(task));
    await run;
    const durationMs = clock.now() - t0;
    if (this.#stopping !== undefined) throw new CancelledError("runtime start-up", "stop() was called");
    const critical = [...this.#components.values()].filter((c) => c.critical);
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
    const monitor = new HealthMonitor(clock, this.#options.healthIntervalMs, () => this.checkHealth());
    this.#monitor = monitor;
    monitor.start();
    return Object.freeze({ status: degraded ? "degraded" : "healthy", components: Object.freeze(Object.fromEntries(this.#starts)), durationMs });
  }

  /** Records how a component's start ended. */
  #started(task: TaskState): void {
    const c = this.#components.get(task.name)!;
    const status = task.status === "completed" ? "started" : (task.status as "failed" | "skipped" | "cancelled");
    const because = task.skippedBecause ?? "?";
    const error =
      task.status === "skipped"
        ? new Error(`dependency "${because}" did not start`, { cause: this.#starts.get(because)?.error })
        : task.error;
    this.#starts.set(task.name, Object.freeze({ status, critical: c.critical, attempts: task.attempts, durationMs: task.durationMs, error }));
    if (status === "started") this.#emit("component:started", { component: task.name, attempts: task.attempts, durationMs: task.durationMs ?? 0 });
    else if (status !== "cancelled") this.#emit("component:failed", { component: task.name, phase: "start", error });
  }

  async #stop(graceMs: number): Promise<StopReport> {
    const { clock, concurrency } = this.#options;
    const t0 = clock.now();
    this.#removeSignals?.();
    this.#removeSignals = undefined;
    this.#monitor?.stop();
    if (this.#state === "starting" && this.#startRun !== undefined) {
      this.#startRun.cancel("stop() was called");
      await this.#startRun;
    }
    const failedStart = this.#state === "failed";
    this.#state = "stopping";
    const started = [...this.#components.values()].filter((c) => this.#instances.has(c.name));
    const names = new Set(started.map((c) => c.name));
    // a component stops after every started component that depends on it
    const specs: TaskSpec[] = started.map((c) => ({
      name: c.name,
      after: started.filter((d) => d.dependsOn.includes(c.name)).map((d) => d.name),
      onFailure: "continue",
      run: ({ signal }) => this.#stopOne(c, this.#instances.get(c.name), signal),
    }));
    const run = workflow("runtime shutdown").tasks(specs).run({ concurrency, clock });
    const grace = Number.isFinite(graceMs) ? clock.setTimer(() => run.cancel(`grace period of ${graceMs} ms ran out`), graceMs) : undefined;
    const result = await run;
    grace?.cancel();
    const components: Record<string, ComponentStop> = {};
    for (const name of names) {
      const t = result.tasks[name]!;
      const status = t.status === "completed" ? "stopped" : t.status === "failed" ? "failed" : "abandoned";
      const error = t.status === "failed" ? new ComponentError(name, "stop", t.error) : t.error;
      components[name] = Object.freeze({ status, durationMs: t.durationMs, error: status === "stopped" ? undefined : error });
      if (status === "stopped") this.#emit("component:stopped", { component: name, durationMs: t.durationMs ?? 0 });
      else this.#emit("component:failed", { component: name, phase: "stop", error });
    }
    this.#instances.clear();
    this.#state = failedStart ? "failed" : "stopped";
    return Object.freeze({ ok: result.ok, components: Object.freeze(components), durationMs: clock.now() - t0 });
  }

  /** Stops one instance within its stop timeout. */
  #stopOne(c: Filled, instance: unknown, outer?: AbortSignal): Promise<unknown> {
    const stop = c.spec.stop;
    if (stop === undefined) return Promise.resolve();
    const what = `component "${c.name}" stop`;
    return callWithTimeout(what, this.#options.clock, c.stopTimeoutMs, (signal) => stop(instance, { signal, name: c.name }), outer);
  }

  #installSignals(): void {
    const s = this.#options.signals;
    if (s === undefined) return;
    const onSignal = (signal: NodeJS.Signals): void => {
      this.#emit("runtime:signal", { signal, graceMs: s.graceMs });
      void this.stop({ graceMs: s.graceMs });
    };
    for (const name of s.signals) s.target.on(name, onSignal);
    this.#removeSignals = () => {
      for (const name of s.signals) s.target.off(name, onSignal);
    };
  }

  #emit<K extends keyof RuntimeEvents>(type: K, payload: RuntimeEvents[K]): void {
    this.#bus.emit(type, payload);
    this.#options.events?.emit(type, payload);
  }
}

/**
 * Starts a runtime definition: add components with `.component()`, then `start()` and `stop()`.
 *
 * @example
 * ```ts
 * const app = runtime({ signals: { graceMs: 15_000 } })
 *   .component("db", { start: () => connect(), stop: (db) => db.close() })
 *   .component("api", { dependsOn: ["db"], start: ({ deps }) => serve(deps.db), stop: (s) => s.close() });
 * await app.start();
 * ```
 */
export function runtime(options: RuntimeOptions = {}): Runtime {
  return new Runtime(options);
}
