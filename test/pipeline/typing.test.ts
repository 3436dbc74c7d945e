// Type-level tests: this file must typecheck (`tsc --noEmit`, which covers test/); the
// `@ts-expect-error` lines must be errors. The runtime part checks that the typed pipeline runs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  pipeline,
  type merge,
  type DeadLetter,
  type RunResult,
  type StageStats,
  type Stream,
  worker,
} from "../../src/index.js";

/** Compiles only when `A` and `B` are the same type. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_ok?: T): void {}

interface Order {
  readonly id: number;
  readonly kind: "paid" | "refund";
}
interface Paid extends Order {
  readonly kind: "paid";
}
const isPaid = (o: Order): o is Paid => o.kind === "paid";

const orders: Order[] = [
  { id: 1, kind: "paid" },
  { id: 2, kind: "refund" },
  { id: 3, kind: "paid" },
];

const paid = pipeline<Order>("orders").from(orders).filter(isPaid);
expectType<Equals<typeof paid, Stream<Paid>>>();
// a plain predicate keeps the type
const kept = pipeline<Order>("kept")
  .from(orders)
  .filter((o) => o.id > 1);
expectType<Equals<typeof kept, Stream<Order>>>();
void kept;
const ids = paid.map(async (o) => o.id); // an async function's result is unwrapped
expectType<Equals<typeof ids, Stream<number>>>();
const expanded = ids.flatMap((n) => [String(n), `#${n}`]);
expectType<Equals<typeof expanded, Stream<string>>>();
const batches = expanded.batch({ size: 2 });
expectType<Equals<typeof batches, Stream<string[]>>>();
void batches;
// mapBatch: a function or a pool stage over arrays; each result goes on as its own item
const lengths = expanded.mapBatch((xs) => xs.map((x) => x.length), { size: 2 });
expectType<Equals<typeof lengths, Stream<number>>>();
void lengths;
const pooled = () =>
  expanded.mapBatch(worker<string[], boolean[]>(new URL("./m.js", import.meta.url), "f"), { size: 2 });
expectType<Equals<ReturnType<typeof pooled>, Stream<boolean>>>();
const perItem = (): unknown =>
  // @ts-expect-error: a pool stage over single items is not a batch function
  expanded.mapBatch(worker<string, boolean>(new URL("./m.js", import.meta.url), "f"), { size: 2 });
void pooled;
void perItem;
const { small, large } = ids.route((n) => (n < 2 ? "small" : "large"), ["small", "large"]);
expectType<Equals<typeof small, Stream<number>>>();
expectType<Equals<ReturnType<typeof merge<number | string>>, Stream<number | string>>>();
void small;
void large;

// Caught by the types and, for untyped callers, at run time where they are written (or not at all,
// for the first: JavaScript has no types to check there).
// @ts-expect-error: after map the items are numbers: an Order guard does not apply
const wrongGuard = (): unknown => paid.map((o: Paid) => o.id).filter(isPaid);
// @ts-expect-error: a stage option that does not exist
const typo = (): unknown => paid.map((o) => o, { concurency: 2 });
// @ts-expect-error: priority takes the stage's item type
const wrongPriority = (): unknown => paid.map((o) => o, { priority: (s: string) => s.length });
void wrongGuard;
void wrongPriority;

const run = pipeline<Order>("typed")
  .from(orders)
  .filter(isPaid)
  .map((o) => o.id, { name: "id" })
  .to(() => {}, { name: "sink" })
  .run();

// @ts-expect-error: not an event of a pipeline run
const unknownEvent = (): unknown => run.on("run:begin", () => {});
// @ts-expect-error: a workflow event is not a pipeline run event
const workflowEvent = (): unknown => run.on("task:end", () => {});
void unknownEvent;
void workflowEvent;

run.on("run:start", (_e) => {
  expectType<Equals<typeof _e.pipeline, string>>();
  expectType<Equals<typeof _e.at, number>>();
});
run.on("run:stopping", (_e) => expectType<Equals<typeof _e.graceMs, number>>());
run.on("stage:error", (e) => {
  expectType<Equals<typeof e.action, "retry" | "fail" | "skip" | "dead-letter">>();
  expectType<Equals<typeof e.index, number>>();
  // @ts-expect-error: the payload has no such field
  void e.position;
});
run.on("stage:retry", (_e) => expectType<Equals<typeof _e.delayMs, number>>());
run.on("stage:dead-letter", (_e) => expectType<Equals<typeof _e, DeadLetter>>());
run.on("stage:end", (_e) => expectType<Equals<typeof _e.stats, StageStats>>());
run.on("run:end", (e) => {
  expectType<Equals<typeof e.ok, boolean>>();
  // @ts-expect-error: read-only
  e.ok = true;
});

describe("typed pipeline builder", () => {
  it("runs, and narrowing through a type guard filter holds at run time", async () => {
    const r = await run;
    expectType<Equals<typeof r, RunResult>>();
    assert.equal(r.stats.id!.out, 2);
    const got: Paid[] = [];
    for await (const o of pipeline<Order>("narrowed").from(orders).filter(isPaid).stream()) {
      expectType<Equals<typeof o, Paid>>();
      got.push(o);
    }
    assert.deepEqual(
      got.map((o) => o.id),
      [1, 3],
    );
    assert.throws(typo, { code: "WEIR_INVALID_OPTION", option: "concurency" });
  });
});
