/**
 * `worker(fn)` and `child(fn)`: a self-contained function sent by its source runs in real threads
 * and processes; one that closes over outer variables is refused when the stage is defined, with
 * `WEIR_NOT_SELF_CONTAINED` naming them.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { freeVariables } from "../../src/executor/pool/stage/freeVariables.js";
import {
  InvalidOptionError,
  NotSelfContainedError,
  child,
  pipeline,
  worker,
  type PoolStageContext,
  type PoolStage,
} from "../../src/index.js";

const contexts = [
  ["worker", worker],
  ["child", child],
] as const;

/** Runs `items` through one pool stage; resolves with the outputs in order. */
async function through<I, O>(stage: PoolStage<I, O>, items: readonly I[]): Promise<O[]> {
  const out: O[] = [];
  await pipeline("fn")
    .from(items)
    .map(stage)
    .to((x) => void out.push(x as O))
    .run();
  return out;
}

/** Asserts that defining the stage throws a NotSelfContainedError naming exactly `names`. */
function refused(define: () => unknown, names: readonly string[]): void {
  assert.throws(define, (e: unknown) => {
    assert.ok(e instanceof NotSelfContainedError, String(e));
    assert.equal(e.code, "WEIR_NOT_SELF_CONTAINED");
    assert.deepEqual(e.names, names);
    return true;
  });
}

// outer values the refused functions below close over
const factor = 3;
let counter = 0;
function helper(x: number): number {
  return x + 1;
}
const table = new Map([[1, "one"]]);

for (const [label, make] of contexts) {
  describe(`${label}(fn): a self-contained function`, () => {
    it("runs sync and async functions, with ctx, in the pool", async () => {
      const double = (x: number): number => x * 2;
      assert.deepEqual(await through(make(double, { maxWorkers: 1 }), [1, 2, 3]), [2, 4, 6]);
      const described = await through(
        make(
          async (x: number, ctx: PoolStageContext) => {
            await new Promise((r) => setTimeout(r, 1));
            return `${ctx.stage}:${ctx.index}:${ctx.attempt}:${x}:${typeof ctx.signal.aborted}`;
          },
          { maxWorkers: 1 },
        ),
        [7],
      );
      assert.deepEqual(described, ["map-1:0:1:7:boolean"]);
    });

    it("imports what it needs inside itself, and reads workerData as ctx.workerData", async () => {
      const hash = async (text: string, ctx: PoolStageContext<unknown, { algorithm: string }>): Promise<string> => {
        const { createHash } = await import("node:crypto");
        return createHash(ctx.workerData.algorithm).update(text).digest("hex").slice(0, 8);
      };
      const out = await through(make(hash, { maxWorkers: 1, workerData: { algorithm: "sha256" } }), ["a"]);
      assert.deepEqual(out, ["ca978112"]);
    });

    it("calls itself by its own name; nested functions, classes, destructuring and templates work", async () => {
      function fact(n: number): number {
        return n <= 1 ? 1 : n * fact(n - 1);
      }
      const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
      assert.deepEqual(await through(make(fact, { maxWorkers: 1 }), [5]), [120]);
      assert.deepEqual(await through(make(fib, { maxWorkers: 1 }), [10]), [55]);
      const busy = (input: { xs: number[]; label: string }): string => {
        // a named nested function: tsx (esbuild, keepNames) wraps it in __name(...)
        function sum(list: readonly number[]): number {
          let total = 0;
          outer: for (const v of list) {
            if (v < 0) continue outer;
            total += v;
          }
          return total;
        }
        class Box {
          readonly size: number;
          kind = "box";
          constructor(size: number) {
            this.size = size;
          }
          describe(): string {
            return `${this.kind}(${this.size})`;
          }
        }
        const { xs, label: name } = input;
        const [first = 0, ...rest] = xs;
        const o = { first, rest: rest.length, nested: { deep: /a+/.test("aa") ? "yes" : "no" } };
        const kind = typeof Bun !== "undefined" ? "bun" : "node";
        return `${name}:${sum(xs)}:${new Box(o.first).describe()}:${o.rest}:${o.nested.deep}:${kind}`;
      };
      assert.deepEqual(await through(make(busy, { maxWorkers: 1 }), [{ xs: [2, -1, 3], label: "L" }]), [
        "L:5:box(2):2:yes:node",
      ]);
    });

    it("an object's method can be the function, whatever its name", async () => {
      const math = {
        triple(x: number): number {
          return x * 3;
        },
        default(x: number): number {
          return x + 100;
        },
      };
      assert.deepEqual(await through(make(math.triple, { maxWorkers: 1 }), [2]), [6]);
      assert.deepEqual(await through(make(math.default, { maxWorkers: 1 }), [2]), [102]);
    });

    it("a stage of a named function takes the function's name", async () => {
      const inc = (x: number): number => x + 1;
      const result = await pipeline("fn")
        .from([1])
        .map(make(inc, { maxWorkers: 1 }))
        .to(() => {})
        .run();
      assert.ok("inc" in result.stats, Object.keys(result.stats).join(", "));
    });

    it("what it throws fails the item, as for a module's function", async () => {
      const result = await pipeline("fn")
        .from([1, 2])
        .map(
          make(
            (x: number) => {
              if (x === 2) throw new RangeError(`no ${x}`);
              return x;
            },
            { maxWorkers: 1 },
          ),
          { onError: "dead-letter" },
        )
        .to(() => {})
        .run();
      assert.deepEqual(
        result.deadLetters.map((d) => [d.index, (d.error as Error).name, (d.error as Error).message]),
        [[1, "RangeError", "no 2"]],
      );
    });

    it("is refused when it closes over outer variables, naming them", () => {
      refused(() => make((x: number) => x * factor), ["factor"]);
      refused(() => make((x: number) => helper(x) + counter++), ["counter", "helper"]);
      refused(() => make((k: number) => table.get(k)), ["table"]);
      refused(() => make((path: string) => readFileSync(path, "utf8")), ["readFileSync"]);
      refused(() => make((x: number) => ({ value: x, factor })), ["factor"]); // a shorthand property
      refused(() => make((x: number) => (x > 0 ? factor : 0)), ["factor"]); // a conditional's middle
      refused(() => make((x: number) => `${x * factor}`), ["factor"]); // a template's expression
    });

    it("the error says what to do instead", () => {
      assert.throws(
        () => make(function scale(x: number) { return x * factor; }), // prettier-ignore
        (e: unknown) =>
          e instanceof NotSelfContainedError &&
          e.fn === "scale" &&
          /uses variables from outside itself \(factor\)/.test(e.message) &&
          /workerData/.test(e.message),
      );
    });

    it("refuses a class, a bound function and a built-in one (they have no source to send)", () => {
      const invalid = (f: () => unknown): void =>
        assert.throws(f, (e: unknown) => e instanceof InvalidOptionError && e.option === "fn");
      invalid(() => make(class Thing {} as never));
      invalid(() => make(((x: number) => x).bind(null)));
      invalid(() => make(Math.abs));
      assert.throws(
        () => (make as (...args: unknown[]) => unknown)((x: number) => x, "extra", {}),
        (e: unknown) => e instanceof InvalidOptionError && e.option === "options",
      );
    });
  });
}

describe("child(fn) needs no privilege a module would not", () => {
  it("its code is imported, never evaluated from a string: it runs with code generation from strings disallowed", async () => {
    const out = await through(
      child((x: number) => x + 1, { maxWorkers: 1, execArgv: ["--disallow-code-generation-from-strings"] }),
      [1],
    );
    assert.deepEqual(out, [2]);
  });
});

describe("the scan for free variables", () => {
  const none = new Set<string>(["Math", "console"]);
  it("sees through declarations, keys, members, labels and conditionals", () => {
    const cases: Array<[string, string[]]> = [
      ["(a, { b, c: [d] }, ...e) => a + b + d + e.length + f", ["f"]],
      ["function g(x) { var y = 1, z = y; let { p: q = r } = x; return q + z + s; }", ["s"]],
      ["x => { const o = { a: 1, b, [k]: 2, m(u) { return u; }, get v() { return w; } }; return o; }", ["b", "k", "w"]],
      ["x => { a: for (;;) { break a; } return x ? y : z.q; }", ["y", "z"]],
      ["x => { switch (x) { case K: return 1; default: return 2; } }", ["K"]],
      ["x => { try { return x; } catch (err) { return err.message + Math.max(1, 2); } }", []],
      ["x => `a ${x + t} b ${`nested ${u}`}`", ["t", "u"]],
      ["x => /[/]re/g.test(x) ? x / d : x", ["d"]],
      ["x => { if (x) /a/.test(x); return x / 2 / q; }", ["q"]],
      [
        "x => { class C extends Base { f = init; static s; m() { return this.f + n; } } return new C(); }",
        ["Base", "init", "n"],
      ],
      ["x => typeof Deno !== 'undefined' ? Deno.x : x", []],
      ["x => { for (const [k, v] of x) console.log(k, v, w); }", ["w"]],
      ["x => x?.a ?? y", ["y"]],
      ["async function* gen(x) { yield* other(x); }", ["other"]],
      ["x => ({ ...x, n: 1 })", []],
      ["x => { const f = function named() { return named; }; return f; }", []],
    ];
    for (const [source, expected] of cases) assert.deepEqual(freeVariables(source, none), expected, source);
  });
});

declare const Bun: { readonly version: string } | undefined;
