import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CycleError } from "../../src/errors/CycleError.js";
import { topologicalOrder } from "../../src/graph/topologicalOrder.js";

/** A random DAG whose nodes are shuffled: `deps[n]` are the nodes `n` depends on. */
const shuffledDag = fc.integer({ min: 0, max: 30 }).chain((n) =>
  fc
    .tuple(
      fc.tuple(
        ...Array.from({ length: n }, (_, i) =>
          fc.subarray(
            Array.from({ length: i }, (_, j) => j),
            { maxLength: Math.min(4, i) },
          ),
        ),
      ),
      fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
    )
    .map(([sortedDeps, perm]) => {
      // node perm[i] plays sorted node i
      const deps: number[][] = Array.from({ length: n }, () => []);
      sortedDeps.forEach((ds, i) => (deps[perm[i]!] = ds.map((j) => perm[j]!)));
      return deps;
    }),
);

const name = (n: number): string => `n${n}`;

describe("topologicalOrder (shared by the workflow builder and, at merge, the pipeline graph)", () => {
  it("places every node once, after every node it depends on", () => {
    fc.assert(
      fc.property(shuffledDag, (deps) => {
        const order = topologicalOrder(deps.length, (n) => deps[n]!, name);
        assert.deepEqual(
          [...order].sort((a, b) => a - b),
          deps.map((_, i) => i),
        );
        const at = new Map(order.map((n, i) => [n, i]));
        for (let n = 0; n < deps.length; n++) for (const d of deps[n]!) assert.ok(at.get(d)! < at.get(n)!);
      }),
    );
  });

  it("is stable: nodes already after their dependencies keep their order; others move as little as they must", () => {
    const chainForward = Array.from({ length: 6 }, (_, i) => (i === 0 ? [] : [i - 1]));
    assert.deepEqual(
      topologicalOrder(6, (n) => chainForward[n]!, name),
      [0, 1, 2, 3, 4, 5],
    );
    // 0 needs 2, which needs 1; 3 stands alone
    const deps = [[2], [], [1], []];
    assert.deepEqual(
      topologicalOrder(4, (n) => deps[n]!, name),
      [1, 2, 0, 3],
    );
  });

  it("asks for each node's dependencies once", () => {
    const deps = [[1, 2], [2], [], [0, 1, 2]];
    const asked = new Map<number, number>();
    topologicalOrder(
      4,
      (n) => {
        asked.set(n, (asked.get(n) ?? 0) + 1);
        return deps[n]!;
      },
      name,
    );
    assert.deepEqual([...asked.values()], [1, 1, 1, 1]);
  });

  it("throws a CycleError naming the nodes on a cycle, each depending on the next, the first repeated", () => {
    // 0 → 1 → 2 → 3 → 1 (a cycle of 1, 2, 3), 4 alone
    const deps = [[1], [2], [3], [1], []];
    assert.throws(
      () => topologicalOrder(5, (n) => deps[n]!, name),
      (e: unknown) => {
        assert.ok(e instanceof CycleError);
        assert.equal(e.code, "WEIR_CYCLE");
        assert.deepEqual(e.cycle, ["n1", "n2", "n3", "n1"]);
        assert.match(e.message, /dependency "n3" -> "n1"/);
        return true;
      },
    );
    assert.throws(
      () => topologicalOrder(1, () => [0], name),
      (e: unknown) => e instanceof CycleError && e.cycle.join() === "n0,n0",
    );
  });

  it("orders a 100,000-node chain given backwards without deep recursion", () => {
    const n = 100_000;
    const order = topologicalOrder(n, (i) => (i === n - 1 ? [] : [i + 1]), name);
    assert.equal(order[0], n - 1);
    assert.equal(order[n - 1], 0);
  });
});
