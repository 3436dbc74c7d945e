/**
 * Adaptive concurrency against a server whose latency rises with load. The benchmark starts its
 * own HTTP server on 127.0.0.1 in a child process: 16 workers, 4 ms of work per request, requests
 * beyond 16 wait in a queue, and every queued request makes service slower (contention: service
 * time is 4 ms × (1 + queued / 32)). Too little concurrency leaves workers idle, too much only
 * adds queueing and contention (throughput falls, latency climbs). The best fixed concurrency is
 * a little above 16, since each client round trip leaves a worker idle unless a request waits for
 * it; the sweep of fixed rows finds it, so the adaptive rows are compared with the best fixed
 * concurrency, not with a guess.
 *
 * Contenders are plain Promise loops doing GET requests over a keep-alive agent: fixed
 * concurrency 1, 8, 12, 16, 20, 24, 32 and 64 (that many loops), and 64 loops gated by weir's
 * adaptiveConcurrency (through `acquire`/`release`), with a 10 ms latency target and with the
 * target derived from the unloaded latency; and a weir pipeline whose stage has the
 * `concurrency: { adaptive: true, ... }` option (the same controller, applied by the stage
 * runner), with the same two targets. Each runs for `--seconds` (the first third is warm-up, not
 * counted) or `--max-requests`, whichever comes first; rounds rotate the order; the table shows
 * medians: throughput against the best row and the best fixed row, and latency at p50, at p90
 * (the quantile the controller compares with its target, `adaptiveConcurrencyDefaults.quantile`)
 * and at p99.
 *
 *   node --import tsx bench/adaptive.ts [--runs 3] [--seconds 2] [--max-requests 60000]
 */
import { spawn } from "node:child_process";
import { createServer, Agent, get, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  adaptiveConcurrency,
  adaptiveConcurrencyDefaults,
  type AdaptiveConcurrency,
} from "../src/policy/AdaptiveConcurrency.js";
import { acquire } from "../src/policy/acquire.js";
import { pipeline } from "../src/pipeline/pipeline.js";
import type { AdaptiveConcurrencyOptions } from "../src/policy/AdaptiveConcurrency.js";

const WORKERS = 16;
const BASE_MS = 4;
const CONTENTION = 32;
/** The latency quantile the controller compares with its target (0.9 unless configured). */
const QUANTILE = adaptiveConcurrencyDefaults.quantile;
const QLABEL = `p${Math.round(QUANTILE * 100)}`;
/** Fixed concurrencies swept. */
const FIXED = [1, 8, 12, 16, 20, 24, 32, 64];

/** The server side: prints its port, serves until killed. */
function server(): void {
  let inService = 0;
  const queue: ServerResponse[] = [];
  const serve = (res: ServerResponse): void => {
    inService++;
    const ms = BASE_MS * (1 + queue.length / CONTENTION);
    setTimeout(() => {
      res.end("ok");
      inService--;
      const next = queue.shift();
      if (next !== undefined) serve(next);
    }, ms);
  };
  const s = createServer((_req, res) => {
    if (inService < WORKERS) serve(res);
    else queue.push(res);
  });
  s.keepAliveTimeout = 60_000;
  s.listen(0, "127.0.0.1", () => {
    const address = s.address();
    process.stdout.write(`PORT ${typeof address === "object" && address !== null ? address.port : 0}\n`);
  });
}

function startServer(): Promise<{ port: number; stop: () => void }> {
  const file = fileURLToPath(import.meta.url);
  const p = spawn(process.execPath, ["--import", "tsx", file, "--server"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m !== null) resolve({ port: Number(m[1]), stop: () => p.kill() });
    });
    p.on("error", reject);
    p.on("exit", (code) => reject(new Error(`server exited with ${String(code)}`)));
  });
}

interface Measured {
  readonly label: string;
  readonly requests: number;
  readonly perSecond: number;
  readonly p50: number;
  /** Latency at the controller's quantile. */
  readonly pq: number;
  readonly p99: number;
  /** The latency target in force at the end (adaptive policy rows), if known. */
  readonly target: number | undefined;
  /** Final limit (adaptive) or fixed concurrency. */
  readonly concurrency: number;
}

function requester(port: number): { request: () => Promise<void>; close: () => void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const request = (): Promise<void> =>
    new Promise((resolve, reject) => {
      get({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
        res.resume();
        res.on("end", resolve);
        res.on("error", reject);
      }).on("error", reject);
    });
  return { request, close: () => agent.destroy() };
}

function summarize(
  label: string,
  latencies: number[],
  measuredMs: number,
  concurrency: number,
  target?: number,
): Measured {
  latencies.sort((a, b) => a - b);
  // The same index as the controller's window quantile: floor(q × n).
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    label,
    requests: latencies.length,
    perSecond: (latencies.length / measuredMs) * 1000,
    p50: q(0.5),
    pq: q(QUANTILE),
    p99: q(0.99),
    concurrency,
    target,
  };
}

/** A pipeline whose fetch stage has adaptive concurrency as a stage option. */
async function drivePipeline(
  label: string,
  port: number,
  seconds: number,
  maxRequests: number,
  adaptive: AdaptiveConcurrencyOptions & { max: number },
): Promise<Measured> {
  const { request, close } = requester(port);
  const start = performance.now();
  const warmEnd = start + (seconds * 1000) / 3;
  const end = start + seconds * 1000;
  const latencies: number[] = [];
  function* ids(): Generator<number> {
    for (let i = 0; i < maxRequests && performance.now() < end; i++) yield i;
  }
  const fetchOne = async (id: number): Promise<number> => {
    const t0 = performance.now();
    await request();
    const t1 = performance.now();
    if (t0 >= warmEnd && t0 < end) latencies.push(t1 - t0);
    return id;
  };
  const result = await pipeline("adaptive-bench")
    .from(ids)
    .map(fetchOne, { name: "fetch", concurrency: { adaptive: true, ...adaptive }, ordered: false, onError: "skip" })
    .run();
  const measuredMs = Math.min(performance.now(), end) - warmEnd;
  close();
  // The stage's controller is internal: its derived target is not in the stats.
  return summarize(label, latencies, measuredMs, result.stats.fetch!.limit, adaptive.targetLatencyMs);
}

async function drive(
  label: string,
  port: number,
  loops: number,
  seconds: number,
  maxRequests: number,
  admission: AdaptiveConcurrency<number> | undefined,
): Promise<Measured> {
  const { request, close } = requester(port);
  const start = performance.now();
  const warmEnd = start + (seconds * 1000) / 3;
  const end = start + seconds * 1000;
  const latencies: number[] = [];
  let sent = 0;
  let id = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < end && sent < maxRequests) {
      const item = id++;
      if (admission !== undefined) await acquire(admission, item);
      sent++;
      const t0 = performance.now();
      let ok = true;
      try {
        await request();
      } catch {
        ok = false;
      }
      const t1 = performance.now();
      admission?.release(item, { ok, latencyMs: t1 - t0 }, t1);
      if (t0 >= warmEnd) latencies.push(t1 - t0);
    }
  };
  await Promise.all(Array.from({ length: loops }, loop));
  const measuredMs = Math.min(performance.now(), end) - warmEnd;
  close();
  return summarize(
    label,
    latencies,
    measuredMs,
    admission === undefined ? loops : admission.limit,
    admission?.targetLatencyMs,
  );
}

interface ContenderSpec {
  readonly label: string;
  readonly fixed: boolean;
  /** The target as configured, for the table ("auto" when derived). */
  readonly target?: number | "auto";
  readonly run: (port: number, seconds: number, max: number) => Promise<Measured>;
}

const contenders: ContenderSpec[] = [
  // A sweep of fixed concurrencies: the best of them is what a client tuned by hand could reach
  // (it cannot know it in advance, and it moves when the server does).
  ...FIXED.map((n): ContenderSpec => ({
    label: `fixed ${n}`,
    fixed: true,
    run: (port, s, m) => drive(`fixed ${n}`, port, n, s, m, undefined),
  })),
  {
    label: "adaptive, target 10 ms",
    fixed: false,
    target: 10,
    run: (port, s, m) =>
      drive("adaptive, target 10 ms", port, 64, s, m, adaptiveConcurrency({ min: 1, max: 64, targetLatencyMs: 10 })),
  },
  {
    label: "adaptive, auto target",
    fixed: false,
    target: "auto",
    run: (port, s, m) => drive("adaptive, auto target", port, 64, s, m, adaptiveConcurrency({ min: 1, max: 64 })),
  },
  {
    label: "stage option, target 10 ms",
    fixed: false,
    target: 10,
    run: (port, s, m) =>
      drivePipeline("stage option, target 10 ms", port, s, m, { min: 1, max: 64, targetLatencyMs: 10 }),
  },
  {
    label: "stage option, auto target",
    fixed: false,
    target: "auto",
    run: (port, s, m) => drivePipeline("stage option, auto target", port, s, m, { min: 1, max: 64 }),
  },
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function parent(runs: number, seconds: number, maxRequests: number): Promise<void> {
  const results = new Map<string, Measured[]>(contenders.map((c) => [c.label, []]));
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + round) % contenders.length]!;
      // A fresh server per run: no queue or socket left over from the previous contender.
      const srv = await startServer();
      try {
        const r = await c.run(srv.port, seconds, maxRequests);
        results.get(c.label)!.push(r);
        process.stderr.write(
          `  [adaptive ${round + 1}/${runs}] ${c.label.padEnd(26)} ${r.perSecond.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(1)} ms  ${QLABEL} ${r.pq.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  concurrency ${r.concurrency}\n`,
        );
      } finally {
        srv.stop();
      }
    }
  }
  const rate = (c: ContenderSpec): number => median(results.get(c.label)!.map((r) => r.perSecond));
  const best = Math.max(...contenders.map(rate));
  const fixedRows = contenders.filter((c) => c.fixed);
  const bestFixed = fixedRows.reduce((a, b) => (rate(b) > rate(a) ? b : a));
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  const lines = [
    `### Adaptive concurrency: local HTTP server, ${WORKERS} workers × ${BASE_MS} ms, contention beyond ${WORKERS} in flight`,
    "",
    `Node ${process.version}, ${process.platform}/${process.arch}; ${seconds} s per run (first third warm-up), median of ${runs} runs, order rotated.`,
    `${QLABEL} is the latency quantile the controller compares with its target; "target" is the one in force (auto: ${adaptiveConcurrencyDefaults.tolerance} × the lowest window ${QLABEL}).`,
    "",
    `| client | req/s | × best | × best fixed | p50 latency | ${QLABEL} latency | p99 latency | target (${QLABEL}) | concurrency (final limit) |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const c of contenders) {
    const rs = results.get(c.label)!;
    const r = rate(c);
    const label = c.fixed ? (c === bestFixed ? `${c.label} (best fixed)` : c.label) : `**${c.label}**`;
    const targets = rs.map((x) => x.target).filter((t): t is number => t !== undefined && Number.isFinite(t));
    const target =
      c.target === undefined
        ? "—"
        : c.target === "auto"
          ? targets.length > 0
            ? `auto: ${ms(median(targets))}`
            : "auto"
          : ms(c.target);
    lines.push(
      `| ${label} | ${r.toFixed(0)} | ${(r / best).toFixed(2)}× | ${(r / rate(bestFixed)).toFixed(2)}× | ${ms(median(rs.map((x) => x.p50)))} | ${ms(median(rs.map((x) => x.pq)))} | ${ms(median(rs.map((x) => x.p99)))} | ${target} | ${rs.map((x) => x.concurrency).join(" / ")} |`,
    );
  }
  process.stdout.write(lines.join("\n") + "\n");
}

const { values } = parseArgs({
  options: {
    server: { type: "boolean" },
    runs: { type: "string" },
    seconds: { type: "string" },
    "max-requests": { type: "string" },
  },
  strict: true,
});
if (values.server === true) server();
else
  await parent(
    Math.max(1, Number(values.runs ?? 3)),
    Math.max(1, Number(values.seconds ?? 2)),
    Math.max(100, Number(values["max-requests"] ?? 60_000)),
  );
