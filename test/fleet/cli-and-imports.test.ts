import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.js";
import { fleet, workerDefaults } from "../../src/redis.js";
import { tasksUrl } from "./fleetHarness.js";

/** Runs the CLI in this process; returns its exit code and what it wrote. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, {
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
  });
  return { code, out, err };
}

/** Files statically imported from `file`, transitively (dynamic `import()` calls are not followed). */
function staticImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(file, "utf8");
  for (const m of source.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)) {
    const spec = m[1]!;
    if (!spec.startsWith(".")) {
      seen.add(spec);
      continue;
    }
    staticImports(resolve(dirname(file), spec.replace(/\.js$/, ".ts")), seen);
  }
  return seen;
}

describe("weir worker on the command line, weir plan, and the core's imports", () => {
  it("weir worker: usage errors exit 2 with the worker's usage", async () => {
    const none = await cli("worker", "--redis", "redis://x");
    assert.equal(none.code, 2);
    assert.match(none.err, /WEIR_USAGE: .*no module given/);
    assert.match(none.err, /usage: weir worker \[options\] <module\.\.\.>/);
    const saved = process.env.WEIR_REDIS_URL;
    delete process.env.WEIR_REDIS_URL;
    try {
      const noRedis = await cli("worker", "tasks.ts");
      assert.equal(noRedis.code, 2);
      assert.match(noRedis.err, /no Redis given: pass --redis <url> or set WEIR_REDIS_URL/);
    } finally {
      if (saved !== undefined) process.env.WEIR_REDIS_URL = saved;
    }
    const bad = await cli("worker", "tasks.ts", "--redis", "redis://x", "--concurrency", "0");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /option --concurrency: expected a positive integer, received "0"/);
    const typo = await cli("worker", "tasks.ts", "--redis", "redis://x", "--leas-ms", "5");
    assert.match(typo.err, /unknown option --leas-ms \(did you mean --lease-ms\?\)/);
    const help = await cli("help", "worker");
    assert.equal(help.code, 0);
    assert.match(help.out, /--max-deliveries <n>/);
  });

  it("weir worker: a module that does not exist fails with WEIR_LOAD_FAILED, exit 1", async () => {
    const r = await cli("worker", "no/such/module.ts", "--redis", "redis://127.0.0.1:1");
    assert.equal(r.code, 1);
    assert.match(r.err, /WEIR_LOAD_FAILED: no\/such\/module\.ts: no such file/);
  });

  it("weir plan shows a fleet stage: where it runs and through which stream", async () => {
    const r = await cli("plan", fileURLToPath(new URL("../fixtures/fleet/plan.ts", import.meta.url)));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /step 1 \[fleet, concurrency 1\]/);
    assert.match(
      r.out,
      /\* map\s+double\s+runs on a fleet: weir workers serving "tasks:double" \(Redis stream weir:q:tasks:double at redis:\/\/127\.0\.0\.1:1\)/,
    );
  });

  it("fleet() checks its options when called, naming them", () => {
    assert.throws(() => fleet(tasksUrl, "double", { redis: "http://x" }), /fleet\.redis.*redis:\/\/ or rediss:\/\//);
    assert.throws(
      () => fleet(tasksUrl, "double", { redis: "redis://x", maxInFlite: 5 } as never),
      /option fleet\.maxInFlite: expected one of the known options \(redis, prefix, maxInFlight/,
    );
    assert.throws(() => fleet(tasksUrl, "double", { redis: "redis://x", maxBatches: 0 }), /fleet\.maxBatches/);
    assert.throws(() => fleet("relative.ts", "double", { redis: "redis://x" }), /module/);
    assert.throws(
      () => fleet(tasksUrl, "double", { redis: "redis://:secret@x" as string, prefix: "a b" }),
      (e: Error) => !e.message.includes("secret"),
    );
    assert.equal(workerDefaults.leaseMs, 30_000);
  });

  it("the core never loads the Redis client: weir's entry and its CLI import no fleet code statically", () => {
    for (const entry of ["../../src/index.ts", "../../src/cli/main.ts"]) {
      const files = [...staticImports(fileURLToPath(new URL(entry, import.meta.url)))];
      assert.deepEqual(
        files.filter((f) => f.includes("/src/fleet/") || f === "ioredis" || f === "bullmq"),
        [],
        entry,
      );
    }
    const redisEntry = [...staticImports(fileURLToPath(new URL("../../src/redis.ts", import.meta.url)))];
    assert.ok(redisEntry.includes("ioredis"));
    assert.ok(!redisEntry.includes("bullmq"), "weir/redis does not need bullmq");
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      exports: Record<string, { import: string }>;
    };
    assert.equal(pkg.exports["./redis"]?.import, "./dist/redis.js");
    assert.equal(pkg.exports["./bullmq"]?.import, "./dist/bullmq.js");
  });
});
