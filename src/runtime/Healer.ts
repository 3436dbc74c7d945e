import { backoffDelay, shouldRetry } from "../policy/retry.js";
import { sleep, type Clock } from "../time/Clock.js";
import type { ComponentDefinition } from "./ComponentDefinition.js";
import type { HealthReport } from "./HealthStatus.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import { startInstance } from "./startInstance.js";
import type { UnhealthyPolicy } from "./UnhealthyPolicy.js";

/** What a {@link Healer} needs from its runtime. */
export interface HealerHost {
  readonly clock: Clock;
  readonly random: () => number;
  /** Every component, in definition order (a dependency order). */
  readonly components: ReadonlyMap<string, ComponentDefinition>;
  /** The running instances; the healer takes out what it stops and puts back what it starts. */
  readonly instances: Map<string, unknown>;
  emit<K extends keyof RuntimeEvents>(type: K, payload: RuntimeEvents[K]): void;
  /** Stops an instance within its stop timeout, or when `signal` aborts. */
  stop(c: ComponentDefinition, instance: unknown, signal: AbortSignal): Promise<unknown>;
  /** Stops an instance nobody will use (a start that ended after it was given up). */
  discard(c: ComponentDefinition, instance: unknown): void;
  /** The `"stop-runtime"` response. */
  stopRuntime(): void;
}

/**
 * Self-healing for one start of a runtime. Counts each running component's unhealthy checks in
 * a row; at its `onUnhealthy.after` it emits `component:unhealthy` and takes the response:
 * restarts the component (and, for `"restart-dependents"`, its running dependents: stopped
 * dependents first, started dependencies first), with backoff between restarts in a row and a
 * cap (then `component:gave-up`: it is left as it is and healed no more), or stops the runtime.
 * Restarts in a row are counted until the component passes a check. Components being restarted
 * are not counted, and a response never starts while another one holds one of its components.
 * `close()` aborts what is in progress and waits for it: a start that completes later is
 * discarded (stopped), never leaked.
 */
export class Healer {
  readonly #host: HealerHost;
  /** Unhealthy checks in a row, per component. */
  readonly #failures = new Map<string, number>();
  /** Restarts since the component last passed a check. */
  readonly #restarts = new Map<string, number>();
  /** Components held by a response in progress. */
  readonly #busy = new Set<string>();
  /** Components whose restarts ran out. */
  readonly #gaveUp = new Set<string>();
  readonly #inProgress = new Set<Promise<void>>();
  /** Restarts begun per component: a check begun before one says nothing of the new instance. */
  readonly #generations = new Map<string, number>();
  readonly #abort = new AbortController();

  constructor(host: HealerHost) {
    this.#host = host;
  }

  /** What to hand to {@link Healer.observe} with the report of a check that begins now. */
  checkBegins(): ReadonlyMap<string, number> {
    return new Map(this.#generations);
  }

  /**
   * Counts one health report and takes the responses it calls for. `begun` is what
   * {@link Healer.checkBegins} said when the check began: a component restarted since is skipped.
   */
  observe(report: HealthReport, begun: ReadonlyMap<string, number>): void {
    if (this.#abort.signal.aborted) return;
    const { components, instances } = this.#host;
    for (const c of components.values()) {
      const policy = c.onUnhealthy;
      const health = report.components[c.name];
      if (policy === undefined || health === undefined) continue;
      if (this.#busy.has(c.name) || this.#gaveUp.has(c.name) || !instances.has(c.name)) continue;
      if (this.#generations.get(c.name) !== begun.get(c.name)) continue;
      if (health.status !== "unhealthy") {
        this.#failures.delete(c.name);
        this.#restarts.delete(c.name);
        continue;
      }
      const failures = (this.#failures.get(c.name) ?? 0) + 1;
      this.#failures.set(c.name, failures);
      if (failures >= policy.after) this.#respond(c, policy, failures, health.detail);
    }
  }

  /** Aborts the responses in progress and resolves once they have settled. */
  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled([...this.#inProgress]);
  }

  #respond(c: ComponentDefinition, policy: UnhealthyPolicy, failures: number, detail: string | undefined): void {
    const group = policy.action === "restart-dependents" ? this.#withDependents(c) : [c];
    if (group.some((g) => this.#busy.has(g.name))) return; // another response holds one of them: next check
    this.#failures.delete(c.name);
    this.#host.emit("component:unhealthy", { component: c.name, failures, detail, action: policy.action });
    if (policy.action === "stop-runtime") {
      this.#abort.abort();
      this.#host.stopRuntime();
      return;
    }
    for (const g of group) {
      this.#busy.add(g.name);
      this.#generations.set(g.name, (this.#generations.get(g.name) ?? 0) + 1);
    }
    const done = this.#restart(c, policy, group).finally(() => {
      for (const g of group) this.#busy.delete(g.name);
      this.#inProgress.delete(done);
    });
    this.#inProgress.add(done);
  }

  /** `c` and its running dependents, transitively, in definition (dependency) order. */
  #withDependents(c: ComponentDefinition): ComponentDefinition[] {
    const names = new Set([c.name]);
    const group = [c];
    for (const d of this.#host.components.values()) {
      if (names.has(d.name) || !this.#host.instances.has(d.name)) continue;
      if (d.dependsOn.some((x) => names.has(x))) {
        names.add(d.name);
        group.push(d);
      }
    }
    return group;
  }

  /** Restarts `group` (for `c`'s failing checks) until it runs again, restarts run out, or close(). */
  async #restart(
    c: ComponentDefinition,
    policy: UnhealthyPolicy,
    group: readonly ComponentDefinition[],
  ): Promise<void> {
    const { clock, random } = this.#host;
    const signal = this.#abort.signal;
    for (;;) {
      const attempt = (this.#restarts.get(c.name) ?? 0) + 1;
      if (attempt > policy.restarts.attempts) {
        this.#giveUp(c, attempt - 1, new Error(`still unhealthy after ${attempt - 1} restarts`));
        return;
      }
      this.#restarts.set(c.name, attempt);
      const delayMs = attempt === 1 ? 0 : backoffDelay(policy.restarts, attempt - 1, random);
      for (const g of group)
        this.#host.emit("component:restarting", { component: g.name, attempt, delayMs, cause: c.name });
      try {
        if (delayMs > 0) await sleep(clock, delayMs, signal);
      } catch {
        return; // close()
      }
      const error = await this.#cycle(group, attempt, c.name, signal);
      if (signal.aborted) return;
      if (error === undefined) return;
      if (!shouldRetry(policy.restarts, error, attempt)) {
        this.#giveUp(c, attempt, error);
        return;
      }
    }
  }

  /** Stops the group's running members (dependents first), then starts them all (dependencies first). */
  async #cycle(
    group: readonly ComponentDefinition[],
    attempt: number,
    cause: string,
    signal: AbortSignal,
  ): Promise<unknown> {
    const { instances } = this.#host;
    for (const g of [...group].reverse()) {
      if (!instances.has(g.name)) continue;
      const instance = instances.get(g.name);
      instances.delete(g.name);
      const t0 = this.#host.clock.now();
      try {
        await this.#host.stop(g, instance, signal);
        this.#host.emit("component:stopped", { component: g.name, durationMs: this.#host.clock.now() - t0 });
      } catch (error) {
        this.#host.emit("component:failed", { component: g.name, phase: "stop", error });
      }
      if (signal.aborted) return signal.reason;
    }
    for (const g of group) {
      const t0 = this.#host.clock.now();
      try {
        const instance = await startInstance(g, instances, attempt, signal, this.#host);
        instances.set(g.name, instance);
        const durationMs = this.#host.clock.now() - t0;
        this.#host.emit("component:started", { component: g.name, attempts: 1, durationMs });
        this.#host.emit("component:restarted", { component: g.name, attempt, durationMs, cause });
      } catch (error) {
        if (!signal.aborted) this.#host.emit("component:failed", { component: g.name, phase: "start", error });
        return error;
      }
    }
    return undefined;
  }

  #giveUp(c: ComponentDefinition, attempts: number, error: unknown): void {
    this.#gaveUp.add(c.name);
    this.#host.emit("component:gave-up", {
      component: c.name,
      attempts,
      running: this.#host.instances.has(c.name),
      error,
    });
  }
}
