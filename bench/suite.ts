/**
 * The child side of the benchmark harness: a suite declares its contenders; run as a child
 * (`node --import tsx bench/<suite>.ts --contender X --size N`), the suite module warms one contender
 * up, times one call and prints one JSON line on stdout. Run directly without `--contender`, the
 * module runs its whole suite through the harness (see `harness.ts`).
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/**
 * What a contender is to the reader of the table.
 * - `limit`: the hand-written code the others are measured against (a for loop, a raw sliding window).
 * - `peer`: another library doing the same work; "× best peer" compares against the best of them.
 * - `weir`: weir itself.
 * - `reference`: shown for context, not used in any ratio.
 */
export type Role = "limit" | "peer" | "weir" | "reference";

/** One way of doing a suite's work. */
export interface Contender<I> {
  readonly role: Role;
  /** The row's label in the table. */
  readonly label: string;
  /** Builds the input, outside the timed section (e.g. an array of numbers). */
  prepare(size: number): I;
  /** Does the work over `input`; returns a checksum that every contender of the suite must agree on. */
  run(input: I, size: number): number | Promise<number>;
  /** Node flags the contender's child process starts with, before the suite's own (e.g. `--disallow-code-generation-from-strings`). */
  readonly nodeFlags?: readonly string[];
}

/** A contender with its input type erased, as a suite stores it. */
export interface AnyContender {
  readonly role: Role;
  readonly label: string;
  prepare(size: number): unknown;
  run(input: unknown, size: number): number | Promise<number>;
  readonly nodeFlags?: readonly string[];
}

/** Erases a contender's input type (the harness passes `prepare`'s result straight to `run`). */
export function contender<I>(c: Contender<I>): AnyContender {
  return c as unknown as AnyContender;
}

/** A set of contenders doing the same work, and how to measure them. */
export interface Suite {
  /** Short name, used on the command line (`npm run bench -- inline`). */
  readonly name: string;
  readonly title: string;
  /** `import.meta.url` of the suite's module: the harness runs it as a child. */
  readonly module: string;
  /** What the table ranks by: throughput (higher is better) or peak RSS (lower is better). */
  readonly metric: "throughput" | "rss";
  /** Input sizes; every contender runs at every size. */
  readonly sizes: readonly number[];
  /** Warm-up calls in the child before the timed call, and their input size. */
  readonly warmups: number;
  readonly warmupSize: number;
  /** Independent child runs per contender and size (the median is reported). */
  readonly runs: number;
  readonly contenders: Readonly<Record<string, AnyContender>>;
  /** One line on what the work is, for the table's heading. */
  readonly work: string;
  /**
   * How children load the suite: `tsx` (`node --import tsx bench/<suite>.ts`), or `bundle` (the
   * harness bundles the module with esbuild once and runs it under plain `node`, which keeps tsx's
   * ~30 MB out of the child's RSS; the code that runs is the same). @default "tsx"
   */
  readonly loader?: Loader;
}

/** See {@link Suite.loader}. */
export type Loader = "tsx" | "bundle";

/** What a child reports, as one JSON line on stdout prefixed by {@link resultTag}. */
export interface ChildResult {
  readonly contender: string;
  readonly size: number;
  readonly seconds: number;
  readonly itemsPerSecond: number;
  readonly checksum: number;
  /** Peak resident set of the whole child (kernel high-water mark), in bytes. */
  readonly peakRss: number;
  /** Resident set just before the timed call, after warm-up and a GC, in bytes. */
  readonly rssBefore: number;
}

export const resultTag = "WEIR_BENCH_RESULT ";

/** Gives the event loop a turn (and lets a GC run) between warm-ups and the timed call. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
}

/** The child side: warm up `name`, time one call at `size`, print the result. */
export async function runChild(
  suite: Suite,
  name: string,
  size: number,
  warmups: number,
  warmupSize: number,
): Promise<ChildResult> {
  const c = suite.contenders[name];
  if (c === undefined)
    throw new Error(
      `suite "${suite.name}" has no contender "${name}" (has: ${Object.keys(suite.contenders).join(", ")})`,
    );
  for (let i = 0; i < warmups; i++) {
    await c.run(c.prepare(warmupSize), warmupSize);
    await settle();
  }
  collect();
  const input = c.prepare(size);
  collect();
  await settle();
  const rssBefore = process.memoryUsage.rss();
  const t0 = performance.now();
  const checksum = await c.run(input, size);
  const seconds = (performance.now() - t0) / 1000;
  // maxRSS is in kilobytes on Linux and macOS.
  const peakRss = process.resourceUsage().maxRSS * 1024;
  return { contender: name, size, seconds, itemsPerSecond: size / seconds, checksum, peakRss, rssBefore };
}

/**
 * Call at the bottom of a suite module. As a child (`--contender` given) it measures and prints;
 * run directly (`node --import tsx bench/inline.ts`) it runs the whole suite; imported (by
 * `run.ts`) it does nothing.
 */
export async function main(suite: Suite): Promise<void> {
  const { values } = parseArgs({
    options: {
      contender: { type: "string" },
      size: { type: "string" },
      warmups: { type: "string" },
      "warmup-size": { type: "string" },
    },
    strict: false,
  });
  if (typeof values.contender === "string") {
    const size = Number(values.size ?? suite.sizes[0]);
    const warmups = Number(values.warmups ?? suite.warmups);
    const warmupSize = Number(values["warmup-size"] ?? suite.warmupSize);
    const result = await runChild(suite, values.contender, size, warmups, warmupSize);
    process.stdout.write(resultTag + JSON.stringify(result) + "\n");
    return;
  }
  if (process.argv[1] !== undefined && fileURLToPath(suite.module) === process.argv[1]) {
    const { runSuites, harnessArgs } = await import("./harness.js");
    const { options } = harnessArgs(process.argv.slice(2));
    await runSuites([suite], options);
  }
}
