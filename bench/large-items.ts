/**
 * One large item through a pool stage and back: time and the parent's peak RSS, per item size
 * and wire. Each measurement runs in a fresh process (`--one`), its pool started and warmed up by
 * a small item first (so start-up is not timed), then one item of N MiB (a Buffer) goes through
 * `echo` and comes back. Contenders rotate; each row is the median of 3 rounds (min–max beside).
 *
 *   node --import tsx bench/large-items.ts              # 16, 50, 200 MiB on every wire
 *   node --import tsx bench/large-items.ts 16 50         # some sizes
 *   node --import tsx bench/large-items.ts --limit 60    # give up on a measurement after 60 s
 *
 * A linear wire takes about 4x as long for 4x the bytes, and its peak RSS grows by a few times
 * the item, not by its square.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { child } from "../src/executor/pool/stage/child.js";
import { createExecutor } from "../src/executor/pool/stage/createExecutor.js";
import { worker } from "../src/executor/pool/stage/worker.js";
import type { Executor } from "../src/executor/Executor.js";

const moduleUrl = new URL("../test/fixtures/faults/wire.mjs", import.meta.url);
const MIB = 1024 * 1024;
const ROUNDS = 3;

const contenders = {
  "child() msgpack": () => child(moduleUrl, "echo", { maxWorkers: 1 }),
  'child() wire: "ipc"': () => child(moduleUrl, "echo", { maxWorkers: 1, wire: "ipc" }),
  "worker() msgpack": () => worker(moduleUrl, "echo", { maxWorkers: 1, transferItems: false }),
} as const;
type Name = keyof typeof contenders;

function once(exec: Executor, item: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    exec.execute({ item, index: 0, attempt: 1, signal: new AbortController().signal }, { resolve, reject });
  });
}

/** In a fresh process: one measurement, printed as a JSON line. */
async function measure(name: Name, mib: number): Promise<void> {
  const exec = createExecutor(contenders[name](), "echo");
  await once(exec, Buffer.alloc(16));
  const item = Buffer.alloc(mib * MIB, 1);
  const rssBefore = process.memoryUsage.rss();
  const start = performance.now();
  const back = (await once(exec, item)) as Uint8Array;
  const ms = performance.now() - start;
  if (back.length !== item.length) throw new Error(`came back with ${back.length} bytes`);
  const peak = process.resourceUsage().maxRSS * 1024;
  await exec.close();
  process.stdout.write(JSON.stringify({ ms, peakMb: peak / MIB, beforeMb: rssBefore / MIB }) + "\n");
}

interface Row {
  ms: number[];
  peakMb: number[];
  timedOut: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--one") {
    await measure(args[1] as Name, Number(args[2]));
    return;
  }
  const limitAt = args.indexOf("--limit");
  const limitS = limitAt >= 0 ? Number(args[limitAt + 1]) : 120;
  const sizes = args.filter((a, i) => /^\d+$/.test(a) && i !== limitAt + 1).map(Number);
  const mibs = sizes.length > 0 ? sizes : [16, 50, 200];
  const names = Object.keys(contenders) as Name[];
  const rows = new Map<string, Row>();
  const self = fileURLToPath(import.meta.url);
  for (let round = 0; round < ROUNDS; round++) {
    for (const mib of mibs) {
      for (let c = 0; c < names.length; c++) {
        const name = names[(c + round) % names.length]!;
        const key = `${name}|${mib}`;
        const row = rows.get(key) ?? { ms: [], peakMb: [], timedOut: 0 };
        rows.set(key, row);
        process.stderr.write(`round ${round + 1}: ${name}, ${mib} MiB\n`);
        const r = spawnSync(process.execPath, ["--import", "tsx", self, "--one", name, String(mib)], {
          encoding: "utf8",
          timeout: limitS * 1000,
          killSignal: "SIGKILL",
          stdio: ["ignore", "pipe", "inherit"],
        });
        if (r.status !== 0) {
          row.timedOut++;
          continue;
        }
        const m = JSON.parse(r.stdout.trim().split("\n").pop()!) as { ms: number; peakMb: number };
        row.ms.push(m.ms);
        row.peakMb.push(m.peakMb);
      }
    }
  }
  console.log(`| contender | item | time (median) | min – max | MB/s | parent peak RSS |`);
  console.log(`|---|---:|---:|---:|---:|---:|`);
  for (const name of names) {
    for (const mib of mibs) {
      const row = rows.get(`${name}|${mib}`)!;
      if (row.ms.length === 0) {
        console.log(`| ${name} | ${mib} MiB | > ${limitS} s | | | |`);
        continue;
      }
      const ms = median(row.ms);
      const range = `${Math.min(...row.ms).toFixed(0)} – ${Math.max(...row.ms).toFixed(0)} ms`;
      const late = row.timedOut > 0 ? ` (${row.timedOut} over ${limitS} s)` : "";
      console.log(
        `| ${name} | ${mib} MiB | ${ms.toFixed(0)} ms${late} | ${range} | ${((2 * mib) / (ms / 1000)).toFixed(0)} | ${median(row.peakMb).toFixed(0)} MB |`,
      );
    }
  }
}

await main();
