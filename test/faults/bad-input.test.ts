import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { pipeline, workflow, InvalidOptionError, EventBus, memoryGuard } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { runScript } from "../executor/harness.js";

const index = fileURLToPath(new URL("../../src/index.ts", import.meta.url));

/** Asserts that `call` throws, synchronously, an InvalidOptionError for `option` whose message matches `message`. */
function refuses(call: () => unknown, option: string, message: RegExp): void {
  assert.throws(call, (e: unknown) => {
    assert.ok(e instanceof InvalidOptionError, String(e));
    assert.equal(e.code, "WEIR_INVALID_OPTION");
    assert.equal(e.option, option);
    assert.match(e.message, message);
    return true;
  });
}

const small = () =>
  pipeline("p")
    .from([1, 2, 3])
    .map((x) => x * 2, { name: "double" });

describe("bad run() options: a coded error when run() or stream() is called", () => {
  it("an AbortController given as signal: a process with an uncaughtException handler gets the error from run() and goes on", async () => {
    // the user's scenario: before, run() returned and a TypeError escaped from a microtask, which
    // killed the process or, with a handler, left the run unsettled forever
    const { code, out } = await runScript(`
      import { pipeline } from ${JSON.stringify(index)};
      process.on("uncaughtException", (e) => { console.log("UNCAUGHT " + e.message); process.exit(3); });
      try {
        await pipeline("p").from([1]).to(() => {}).run({ signal: new AbortController() });
        console.log("RESOLVED");
      } catch (e) {
        console.log("THREW " + e.code + " " + e.option);
      }
      const r = await pipeline("q").from([1, 2]).to(() => {}).run();
      console.log("NEXT RUN " + r.sourceItems);
    `);
    assert.equal(code, 0, out);
    assert.match(out, /THREW WEIR_INVALID_OPTION signal/);
    assert.match(out, /NEXT RUN 2/);
    assert.doesNotMatch(out, /UNCAUGHT|RESOLVED/);
  });

  it("says to pass the controller's signal, for run(), stream() and a workflow's run()", () => {
    const controller = new AbortController() as unknown as AbortSignal;
    refuses(() => small().run({ signal: controller }), "signal", /received an AbortController/);
    refuses(() => small().run({ signal: controller }), "signal", /pass the controller's \.signal/);
    refuses(() => small().stream({ signal: controller }), "signal", /pipeline "p" stream\(\)/);
    refuses(
      () =>
        workflow("w")
          .task("a", () => 1)
          .run({ signal: controller }),
      "signal",
      /workflow "w".*pass the controller's \.signal/,
    );
    refuses(() => small().run({ signal: "stop" as unknown as AbortSignal }), "signal", /expected an AbortSignal/);
  });

  it("unknown keys are refused, with a did-you-mean when a known one is close", () => {
    const typo = { singal: new AbortController().signal } as unknown as never;
    refuses(
      () => small().run(typo),
      "singal",
      /pipeline "p" run\(\).*unknown option "singal" \(did you mean "signal"\?\)/,
    );
    refuses(() => small().stream({ capcity: 8 } as never), "capcity", /did you mean "capacity"/);
    refuses(() => small().run({ timerResolution: 1 } as never), "timerResolution", /"timerResolutionMs"/);
    refuses(() => small().run({ zzz: 1 } as never), "zzz", /unknown option "zzz"$/);
    refuses(
      () =>
        workflow("w")
          .task("a", () => 1)
          .run({ concurency: 2 } as never),
      "concurency",
      /did you mean "concurrency"/,
    );
  });

  it("values out of range or of the wrong type name the option, what was expected and what was received", () => {
    refuses(() => small().run({ timerResolutionMs: -1 }), "timerResolutionMs", /expected a non-negative .*received -1/);
    refuses(() => small().run({ timerResolutionMs: NaN }), "timerResolutionMs", /received NaN/);
    refuses(() => small().run({ clock: {} as ManualClock }), "clock", /expected a Clock/);
    refuses(() => small().run({ random: 0.5 as unknown as () => number }), "random", /expected a function/);
    refuses(() => small().run({ sourceGate: true as unknown as () => undefined }), "sourceGate", /a function/);
    refuses(() => small().run({ events: {} as EventBus<never> }), "events", /an EventBus/);
    refuses(() => small().run({ memory: 512 as never }), "memory", /a memoryGuard\(\) or its options/);
    refuses(() => small().run({ memory: { highWaterBytes: -5 } }), "memory.highWaterBytes", /received -5/);
    refuses(
      () => small().run({ memory: { highWaterByts: 5 } as never }),
      "memory.highWaterByts",
      /did you mean "highWaterBytes"/,
    );
    refuses(() => small().run(42 as never), "options", /expected an object/);
    refuses(() => small().stream({ capacity: 0 }), "capacity", /positive integer/);
  });

  it("stream() checks its options when called, before the loop starts", () => {
    // nothing is iterated: the mistake shows where it was made
    refuses(() => small().stream({ timerResolutionMs: -5 }), "timerResolutionMs", /stream\(\)/);
  });

  it("every valid option is still accepted, and the run completes", async () => {
    const clock = new ManualClock();
    const bus = new EventBus<Record<string, unknown>>();
    const r = await small().run({
      signal: new AbortController().signal,
      clock,
      random: () => 0.5,
      timerResolutionMs: 0,
      memory: memoryGuard({ highWaterBytes: 1e12 }),
      sourceGate: () => undefined,
      events: bus,
    });
    assert.equal(r.stats.double!.out, 3);
    const out: number[] = [];
    for await (const x of small().stream({ capacity: 2, memory: { highWaterBytes: 1e12 }, timerResolutionMs: 5 }))
      out.push(x);
    assert.deepEqual(out, [2, 4, 6]);
    const w = await workflow("w")
      .task("a", () => 1)
      .run({ signal: new AbortController().signal, concurrency: 2 });
    assert.equal(w.results.a, 1);
  });
});
