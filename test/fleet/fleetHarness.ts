import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pipeline, type Sink } from "../../src/index.js";
import { fleet } from "../../src/redis.js";
import { startRedis, type RedisServer } from "./redisServer.js";
import { KeyedSink } from "./waitFor.js";
import { ended } from "../helpers.js";

/** The package root. */
export const root = fileURLToPath(new URL("../..", import.meta.url));
/** The fixture module the workers serve. */
export const tasksUrl = new URL("../fixtures/fleet/tasks.ts", import.meta.url);
export const tasksPath = fileURLToPath(tasksUrl);

/** A `weir worker` child process, run from the TypeScript sources (the same CLI code as `bin/weir.js`). */
export interface WorkerProcess {
  readonly pid: number;
  stderr(): string;
  /** Resolves once stderr contains `text`; rejects if the process exits first. */
  stderrHas(text: string): Promise<void>;
  /** Resolves with the exit; rejects after `guardMs` (then the process is killed). */
  exit(guardMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(signal: NodeJS.Signals): void;
  readonly exited: boolean;
}

const cli = `
import { main } from ${JSON.stringify(new URL("../../src/cli/main.ts", import.meta.url).href)};
process.exitCode = await main(process.argv.slice(1));
`;

/** Starts `weir worker ...args` (no wait). */
export function startWorkerProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", cli, "worker", ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  let exited = false;
  const waiters: Array<() => void> = [];
  child.stdout.on("data", (d: Buffer) => (err += d.toString()));
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const reap = (): void => void child.kill("SIGKILL");
  process.once("exit", reap);
  // ended(), not "exit": a line written just before the process exits is read first
  const done = ended(child).then((end) => {
    exited = true;
    process.removeListener("exit", reap);
    for (const w of waiters.splice(0)) w();
    return end;
  });
  return {
    pid: child.pid!,
    stderr: () => err,
    get exited() {
      return exited;
    },
    stderrHas(text: string): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (err.includes(text)) resolve();
          else if (exited) reject(new Error(`weir worker exited before writing "${text}"; stderr:\n${err}`));
          else waiters.push(check);
        };
        check();
      });
    },
    async exit(guardMs = 60_000) {
      let timer: NodeJS.Timeout | undefined;
      const guard = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`weir worker did not exit within ${guardMs} ms; stderr:\n${err}`));
        }, guardMs);
      });
      try {
        return await Promise.race([done, guard]);
      } finally {
        clearTimeout(timer);
      }
    },
    signal: (signal) => void child.kill(signal),
  };
}

/** Starts a worker serving the fixture tasks and waits until it serves. */
export async function startWorker(redisUrl: string, ...args: string[]): Promise<WorkerProcess> {
  const w = startWorkerProcess([tasksPath, "--redis", redisUrl, ...args]);
  await w.stderrHas("serving");
  return w;
}

/** {@link startWorker} with environment variables for the worker process. */
export async function startWorkerEnv(
  redisUrl: string,
  env: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<WorkerProcess> {
  const w = startWorkerProcess([tasksPath, "--redis", redisUrl, ...args], env);
  await w.stderrHas("serving");
  return w;
}

/** Stops workers (SIGKILL, then waits for each exit). */
export async function killAll(workers: readonly WorkerProcess[]): Promise<void> {
  for (const w of workers) if (!w.exited) w.signal("SIGKILL");
  await Promise.all(workers.map((w) => w.exit().catch(() => undefined)));
}

/** An item of the fixture's `slow` export, and what it answers. */
export type SlowItem = { n: number; ms: number };
export type TaggedResult = { n: number; pid: number };

/** What {@link fleetWithVictim} set up; `close()` kills the workers and stops Redis. */
export interface FleetWithVictim {
  readonly redis: RedisServer;
  readonly workers: WorkerProcess[];
  /** The worker a test kills mid-run (the first of the two). */
  readonly victim: WorkerProcess;
  readonly items: readonly SlowItem[];
  /** Counts per item at the sink (a keyed sink: "none twice" is `twice` empty). */
  readonly sink: KeyedSink<number>;
  /** Items the victim answered, in the order the sink got them. */
  readonly fromVictim: number[];
  /** The pipeline, not run yet: `from(items).map(fleet(slow), { name: "remote" }).to(sink, { name: "sink" })`. */
  readonly pipeline: Sink;
  close(): Promise<void>;
}

/**
 * The setup the kill drills, the fleet metrics test and the dashboard's fleet test share: a real
 * `redis-server`, two `weir worker` processes (`--lease-ms 500 --concurrency 2`), and a pipeline
 * of `count` items of `ms` each through the fixture's `slow` export (entries of at most 8 items)
 * into a keyed sink that notes which items the victim (the first worker) answered.
 */
export async function fleetWithVictim(
  name: string,
  count: number,
  ms: number,
  options: {
    /**
     * Starts the victim with `WEIR_TEST_HOLD_FIRST_ANSWER=1`: it runs its first entry and holds
     * the answer (it says "holding its first answer" on stderr), so a kill then is certain to
     * leave entries for the other worker to take over, however late it comes.
     */
    holdVictim?: boolean;
  } = {},
): Promise<FleetWithVictim> {
  const redis = await startRedis();
  const workers: WorkerProcess[] = [];
  const close = async (): Promise<void> => {
    await killAll(workers);
    await redis.stop();
  };
  try {
    const args = ["--lease-ms", "500", "--concurrency", "2"];
    const hold = options.holdVictim === true ? { WEIR_TEST_HOLD_FIRST_ANSWER: "1" } : undefined;
    workers.push(
      hold === undefined ? await startWorker(redis.url, ...args) : await startWorkerEnv(redis.url, hold, ...args),
      await startWorker(redis.url, ...args),
    );
  } catch (error) {
    await close();
    throw error;
  }
  const victim = workers[0]!;
  const sink = new KeyedSink<number>();
  const fromVictim: number[] = [];
  const items = Array.from({ length: count }, (_, n) => ({ n, ms }));
  const p = pipeline<SlowItem>(name)
    .from(items)
    .map(fleet<SlowItem, TaggedResult>(tasksUrl, "slow", { redis: redis.url, maxBatchSize: 8 }), { name: "remote" })
    .to(
      (r) => {
        sink.add(r.n);
        if (r.pid === victim.pid) fromVictim.push(r.n);
      },
      { name: "sink" },
    );
  return { redis, workers, victim, items, sink, fromVictim, pipeline: p, close };
}
