/**
 * Timings of pool faults, for the numbers that tests must not assert (wall clock):
 *
 *   node --import tsx bench/poolFaults.ts              # every section
 *   node --import tsx bench/poolFaults.ts stuck drain  # sections whose name contains a filter
 *
 * - stuck: a `while (true)` item among 31 others (2 workers, `timeoutMs: 1000`): when it fails,
 *   and when its batch-mates are done, from its start; once as the run's first item (in the first
 *   batch, whose item starts are noted one by one) and once after 20,000 tiny items (batch-level
 *   notes: found by a second run alone, see docs/contexts.md#timeouts).
 * - back: an item of 2 s among 3 tiny ones (one thread, batches of one, `timeoutMs: 1000`,
 *   `cancelGraceMs: 5000`): judged stuck at its timeout, it returns a second later; when the tiny
 *   items taken from its worker meanwhile are done, and the whole run, from the run's start.
 * - frozen: a child process sent SIGSTOP mid-run (default options): how long until the pool kills
 *   it and the run completes.
 * - drain: a child stage of 10 ms items (2 workers), stopped after 1 s: items pulled, and how long
 *   `stop()` takes to drain them.
 * - notes: the cost of a timeout on tiny items (the worker notes item starts to time them): items/s
 *   with and without `timeoutMs`.
 */
import { rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { child, pipeline, worker } from "../src/index.js";

const inWorker = new URL("../test/fixtures/faults/inWorker.mjs", import.meta.url);
const benchUrl = new URL("../test/fixtures/workers/bench.mjs", import.meta.url);
const filters = process.argv.slice(2);
const wanted = (name: string): boolean => filters.length === 0 || filters.some((f) => name.includes(f));
const ms = (x: number): string => `${Math.round(x)} ms`;

type Item = number | { spin: string; busy: true };

async function stuck(label: string, make: typeof worker, before: number): Promise<void> {
  // the first item of the run, in a batch the worker notes item by item (it has measured nothing
  // of the chain yet); or among the tiny items, in a batch it notes once
  const spinAt = before === 0 ? 0 : before + 5;
  // the stuck item writes this file as it starts spinning: its mtime is the item's start
  const file = join(tmpdir(), `weir-bench-spin-${process.pid}-${label}-${before}`);
  rmSync(file, { force: true });
  const items: Item[] = Array.from({ length: before + 32 }, (_, i) => (i === spinAt ? { spin: file, busy: true } : i));
  const t0 = Date.now();
  let failedAt = 0;
  let mates = 0;
  let matesAt = 0;
  const run = pipeline<Item>("stuck")
    .from(items)
    .map(make<Item, { x: number }>(inWorker, "spinOn", { maxWorkers: 2 }), {
      name: "s",
      concurrency: 2,
      ordered: false,
      timeoutMs: 1000,
      onError: "dead-letter",
    })
    .to((r) => {
      if (r.x > spinAt && ++mates === 26) matesAt = Date.now();
    })
    .run();
  run.on("stage:error", () => (failedAt = Date.now()));
  await run;
  const started = statSync(file).mtimeMs;
  rmSync(file, { force: true });
  console.log(
    `| ${label} | ${before === 0 ? "first batch (noted per item)" : `after ${before.toLocaleString("en")} tiny items (noted per batch)`} | ${ms(failedAt - started)} | ${ms(matesAt - started)} | ${ms(Date.now() - t0)} |`,
  );
}

async function back(): Promise<void> {
  const items: Array<number | { busyMs: number }> = [{ busyMs: 2000 }, 1, 2, 3];
  const t0 = performance.now();
  let lastAt = 0;
  await pipeline<number | { busyMs: number }>("back")
    .from(items)
    .map(
      worker<number | { busyMs: number }, unknown>(inWorker, "freeze", {
        maxWorkers: 1,
        maxBatchSize: 1,
        cancelGraceMs: 5000,
      }),
      {
        name: "b",
        timeoutMs: 1000,
        onError: "dead-letter",
      },
    )
    .to(() => (lastAt = performance.now()))
    .run();
  console.log(
    `| thread, maxWorkers 1, a 2 s item with timeoutMs 1000 (cancelGraceMs 5000), 3 tiny items behind it | ${ms(lastAt - t0)} | ${ms(performance.now() - t0)} |`,
  );
}

async function frozen(): Promise<void> {
  let stoppedAt = 0;
  let pid = 0;
  const t0 = performance.now();
  const run = pipeline<number>("frozen")
    .from(Array.from({ length: 2000 }, (_, i) => i))
    .map(child<number, { x: number; pid: number }>(inWorker, "slowPid", { maxWorkers: 2 }), {
      concurrency: 2,
      retry: 2,
    })
    .tap((r) => {
      if (pid === 0 && r.x >= 200) {
        pid = r.pid;
        stoppedAt = performance.now();
        process.kill(pid, "SIGSTOP");
      }
    })
    .to(() => {})
    .run();
  let killedAfter = 0;
  const poll = setInterval(() => {
    if (pid === 0 || killedAfter > 0) return;
    try {
      process.kill(pid, 0);
    } catch {
      killedAfter = performance.now() - stoppedAt;
    }
  }, 10);
  await run;
  clearInterval(poll);
  console.log(
    `| SIGSTOP on a child mid-run (heartbeatMs 1000) | killed ${ms(killedAfter)} after the signal | run of 2,000 × 2 ms items done in ${ms(performance.now() - t0)} |`,
  );
}

async function drain(): Promise<void> {
  function* source(): Generator<number> {
    for (let i = 0; i < 1_000_000; i++) yield i;
  }
  let read = 0;
  const run = pipeline<number>("drain")
    .from(
      (function* () {
        for (const x of source()) {
          read++;
          yield x;
        }
      })(),
    )
    .map(child<number, number>(inWorker, "busy", { maxWorkers: 2 }), { name: "busy", concurrency: 2 })
    .map((x) => x)
    .to(() => {})
    .run();
  await new Promise((r) => setTimeout(r, 1000));
  const snap = run.snapshot().stages.find((s) => s.name === "busy")!;
  const t = performance.now();
  await run.stop();
  console.log(
    `| child stage, 5 ms items, 2 workers, stop() after 1 s | ${read} read, ${snap.inFlight} in flight + ${snap.queueDepth} queued at stop | drained in ${ms(performance.now() - t)} |`,
  );
}

async function notes(label: string, make: typeof worker): Promise<void> {
  const N = 200_000;
  const stage = make<number, number>(benchUrl, "inc", { maxWorkers: 2, keepWarmMs: 30_000 });
  const rows: string[] = [];
  for (const timeoutMs of [undefined, 60_000, undefined, 60_000]) {
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      await pipeline<number>("notes")
        .from(Array.from({ length: N }, (_, i) => i))
        .map(stage, { concurrency: 2, ...(timeoutMs === undefined ? {} : { timeoutMs }) })
        .to(() => {})
        .run();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    rows.push(
      `${timeoutMs === undefined ? "no timeout" : "timeoutMs"}: ${Math.round((N / times[1]!) * 1000).toLocaleString("en")}/s`,
    );
  }
  console.log(`| ${label}, 200,000 × \`x + 1\` | ${rows.join(" · ")} |`);
}

if (wanted("stuck")) {
  console.log(
    "\n| context | stuck item (timeoutMs 1000) | failed, after its start | its 26 later batch-mates done, after its start | whole run |\n|---|---|---:|---:|---:|",
  );
  for (const [label, make] of [
    ["thread", worker],
    ["process", child],
  ] as const) {
    await stuck(label, make, 0);
    await stuck(label, make, 20_000);
  }
}
if (wanted("back")) {
  console.log(
    "\n| an item back after its timeout | the tiny items done, from the start | whole run |\n|---|---:|---:|",
  );
  await back();
}
if (wanted("frozen")) {
  console.log("\n| fault | detection | run |\n|---|---|---|");
  await frozen();
}
if (wanted("drain")) {
  console.log("\n| stop | pulled | drain |\n|---|---|---|");
  await drain();
}
if (wanted("notes")) {
  console.log("\n| pool | items/s (median of 3, rounds alternate) |\n|---|---|");
  await notes("threads", worker);
  await notes("processes", child);
}
process.exit(0);
