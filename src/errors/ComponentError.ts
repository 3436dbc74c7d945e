import { WeirError } from "./WeirError.js";

/**
 * A runtime component failed: a critical component could not start (start-up was aborted), or a
 * start, stop or health step threw. The original error is its `cause`.
 *
 * @example
 * ```ts
 * try { await app.start(); }
 * catch (e) { if (e instanceof ComponentError) console.error(e.component, e.phase, e.cause); }
 * ```
 */
export class ComponentError extends WeirError {
  /** The class name: `error.name`, and what `ComponentError.is(e)` matches. */
  static override readonly name: string = "ComponentError";
  /** The component's name. */
  readonly component: string;
  /** What the component was doing. */
  readonly phase: "start" | "stop" | "health";
  /** Attempts made (start only; 1 otherwise). */
  readonly attempts: number;

  constructor(component: string, phase: "start" | "stop" | "health", cause: unknown, attempts = 1) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      "WEIR_COMPONENT_FAILED",
      `component "${component}" failed to ${phase}${attempts > 1 ? ` after ${attempts} attempts` : ""}: ${reason}`,
      { cause },
    );
    this.component = component;
    this.phase = phase;
    this.attempts = attempts;
  }
}
