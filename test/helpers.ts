/** Small helpers shared by the tests (one home, so no test file defines its own copy). */
import type { ChildProcess } from "node:child_process";
import type { RunTracer } from "../src/index.js";

/** Lets `n` rounds of promise callbacks and immediates run. */
export async function turns(n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** A promise with its resolve and reject exposed. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Every item of `source`, in order. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of source) out.push(x);
  return out;
}

/** A promise and its resolve and reject functions (for I/O a test completes when it wants). */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * The process warnings emitted while `fn` runs, and a few turns after (warnings are emitted on
 * a later tick). Each may carry the `code` it was emitted with.
 */
export async function warningsDuring(fn: () => Promise<void>): Promise<(Error & { code?: string })[]> {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on("warning", onWarning);
  try {
    await fn();
    await turns(3);
  } finally {
    process.off("warning", onWarning);
  }
  return warnings;
}

/** A tracer that notes how many items each attempt of the stage named `stage` reported, in order. */
export function attemptSizes(stage: string): { readonly tracer: RunTracer; readonly sizes: number[] } {
  const sizes: number[] = [];
  const tracer: RunTracer = {
    start: () => ({
      stage: (s) =>
        s.name === stage ? { failed: () => {}, attempt: (_ms: number, n: number) => void sizes.push(n) } : undefined,
      task: () => {},
      end: () => {},
    }),
  };
  return { tracer, sizes };
}

/** How a child process ended. */
export interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Resolves once `child` has exited and what it wrote is read: at its `close` event (the process
 * gone and its pipes read to the end), not at `exit`, which can fire before the last chunk on a
 * pipe is read. Where a grandchild keeps the pipes open, `close` waits for it too: then this
 * resolves `graceMs` after `exit`.
 */
export function ended(child: ChildProcess, graceMs = 2_000): Promise<Ended> {
  return new Promise((resolve) => {
    let grace: NodeJS.Timeout | undefined;
    child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(grace);
      resolve({ code, signal });
    });
    child.once("exit", (code, signal) => {
      grace = setTimeout(() => resolve({ code, signal }), graceMs);
    });
  });
}
