import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Signed {
  kind: "order" | "refund";
  id: string;
  cents: number;
  currency: string;
  sig: string;
}

function weir(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [join(root, "bin/weir.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
}

describe("examples/fan-in.ts: two producers, a fragment, a round-robin route, a worker stage with setup/teardown", () => {
  it("weir run: every entry signed once, dealt evenly to the shards; each worker tore down", () => {
    const dir = mkdtempSync(join(tmpdir(), "weir-fan-in-"));
    try {
      const env = { WEIR_FANIN_OUT: dir, WEIR_FANIN_ORDERS: "200" };
      const r = weir(["run", "examples/fan-in.ts", "--no-progress"], env);
      assert.equal(r.status, 0, r.stderr);
      // 200 orders and 20 refunds; every 50th order is free and filtered out by the fragment
      assert.match(r.stdout, /fan-in: completed in [\d.]+s, 220 source items/);
      assert.match(r.stdout, /orders\s+inline\s+in\s+200\s+out\s+200/);
      assert.match(r.stdout, /refunds\s+inline\s+in\s+20\s+out\s+20/);
      assert.match(r.stdout, /normalize\/non-zero\s+inline\s+in\s+200\s+out\s+196/);
      assert.match(r.stdout, /normalize-2\/non-zero\s+inline\s+in\s+20\s+out\s+20/);
      assert.match(r.stdout, /sign\s+worker\s+in\s+216\s+out\s+216/);

      const read = (file: string): Signed[] =>
        readFileSync(join(dir, file), "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as Signed);
      const a = read("shard-a.jsonl");
      const b = read("shard-b.jsonl");
      assert.equal(a.length, 108, "round-robin: exactly half");
      assert.equal(b.length, 108);
      const ids = [...a, ...b].map((e) => e.id);
      assert.equal(new Set(ids).size, 216, "each entry once");
      assert.equal(ids.filter((id) => id.startsWith("r")).length, 20);
      for (const e of [...a, ...b]) {
        assert.match(e.sig, /^[0-9a-f]{64}$/);
        assert.notEqual(e.cents, 0);
      }

      // each worker's teardown ran at the end of the run, and together they signed everything
      const teardowns = readFileSync(join(dir, "workers.log"), "utf8").trim().split("\n");
      assert.ok(teardowns.length >= 1, "a teardown line per worker");
      let signed = 0;
      for (const line of teardowns) {
        const m = /^teardown worker=\d+ reason=closed signed=(\d+)$/.exec(line);
        assert.ok(m !== null, line);
        signed += Number(m[1]);
      }
      assert.equal(signed, 216);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("weir plan: the sources, the fragment's stages grouped, the round-robin route", () => {
    const dir = mkdtempSync(join(tmpdir(), "weir-fan-in-plan-"));
    try {
      const r = weir(["plan", "examples/fan-in.ts"], { WEIR_FANIN_OUT: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /\* source\s+orders/);
      assert.match(r.stdout, /\* source\s+refunds/);
      assert.match(r.stdout, /\+ map\s+normalize\/parse\s+fused after "orders"/);
      assert.match(r.stdout, /route \(round-robin\)/);
      assert.match(
        r.stdout,
        /fragments:\n {2}normalize: parse \(step 0\), non-zero \(step 0\)\n {2}normalize-2: parse \(step 1\), non-zero \(step 1\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
