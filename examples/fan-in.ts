/**
 * A ledger fed by two producers: orders (an async feed) and refunds (a generator) are read as two
 * named sources of one pipeline, each normalized by the same nested pipeline (a fragment), merged,
 * signed in a pool of worker threads whose module sets up its key once per worker and tears down
 * at the end, then dealt round-robin to two shard files in batches.
 *
 *   npx weir run examples/fan-in.ts
 *   npx weir plan examples/fan-in.ts
 *   WEIR_FANIN_OUT=out/ledger WEIR_FANIN_ORDERS=5000 npx weir run examples/fan-in.ts
 */
import { appendFile } from "node:fs/promises";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fragment, merge, pipeline, worker, type Stream } from "weir";
import type { Entry, LedgerConfig } from "./workers/ledger.js";

const out = process.env.WEIR_FANIN_OUT ?? "out/fan-in";
const orderCount = Number(process.env.WEIR_FANIN_ORDERS ?? 1000);

/** An entry as a producer gives it: the amount still a string (`"12.50 EUR"`). */
interface RawEntry {
  readonly kind: "order" | "refund";
  readonly id: string;
  readonly amount: string;
}

/** Orders arrive from a feed: an async generator, pulled only as the pipeline has room. */
async function* orders(): AsyncGenerator<RawEntry> {
  for (let i = 0; i < orderCount; i++) {
    if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    // every 50th order is a free one (0.00): the fragment filters it out
    yield { kind: "order", id: `o${i}`, amount: i % 50 === 0 ? "0.00 EUR" : `${(i % 97) + 1}.50 EUR` };
  }
}

/** Refunds come from another system: one per ten orders. */
function* refunds(): Generator<RawEntry> {
  for (let i = 0; i < orderCount; i += 10) yield { kind: "refund", id: `r${i}`, amount: `-${(i % 13) + 1}.00 EUR` };
}

/** Parses `"12.50 EUR"` into cents and a currency. */
function parseAmount(raw: RawEntry): Entry {
  const [value = "", currency = ""] = raw.amount.split(" ");
  return { kind: raw.kind, id: raw.id, cents: Math.round(Number(value) * 100), currency };
}

/** The nested pipeline both producers go through: its stages show as normalize/parse, normalize/non-zero. */
const normalize = fragment("normalize", (s: Stream<RawEntry>) =>
  s.map(parseAmount, { name: "parse" }).filter((e) => e.cents !== 0, { name: "non-zero" }),
);

mkdirSync(out, { recursive: true });
const shards = { a: join(out, "shard-a.jsonl"), b: join(out, "shard-b.jsonl") };
const teardownLog = join(out, "workers.log");
for (const file of [shards.a, shards.b, teardownLog]) writeFileSync(file, "");

/** Signing runs in worker threads: `setup` reads the secret once per worker, `teardown` logs what it did. */
const sign = worker<Entry, Entry & { sig: string }>(new URL("./workers/ledger.ts", import.meta.url), "sign", {
  maxWorkers: 2,
  workerData: { secret: process.env.WEIR_FANIN_SECRET ?? "example-secret", log: teardownLog } satisfies LedgerConfig,
});

const ledger = pipeline<RawEntry>("fan-in");
const fromOrders = ledger.from(orders, { name: "orders" }).through(normalize);
const fromRefunds = ledger.from(refunds, { name: "refunds" }).through(normalize);

const { a, b } = merge([fromOrders, fromRefunds], "ledger")
  .map(sign, { name: "sign", concurrency: 2 })
  .route("round-robin", ["a", "b"], { name: "shard" });

/** Appends a batch of signed entries to one shard as JSON lines. */
const writeTo =
  (file: string) =>
  async (rows: unknown[]): Promise<void> => {
    await appendFile(file, rows.map((r) => JSON.stringify(r) + "\n").join(""));
  };

a.batch({ size: 100, maxWaitMs: 200, name: "batch-a" }).to(writeTo(shards.a), { name: "write-a" });
export default b.batch({ size: 100, maxWaitMs: 200, name: "batch-b" }).to(writeTo(shards.b), { name: "write-b" });
