import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { EventBus } from "../../src/events/EventBus.js";

interface Events {
  tick: { readonly n: number };
  tock: { readonly s: string };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("EventBus", () => {
  it("delivers to handlers in subscription order; on() returns the unsubscribe function", () => {
    const bus = new EventBus<Events>();
    const seen: string[] = [];
    const off = bus.on("tick", (e) => void seen.push(`a${e.n}`));
    bus.on("tick", (e) => void seen.push(`b${e.n}`));
    bus.emit("tick", { n: 1 });
    off();
    off();
    bus.emit("tick", { n: 2 });
    assert.deepEqual(seen, ["a1", "b1", "b2"]);
    assert.equal(bus.listenerCount("tick"), 1);
    assert.equal(bus.has("tock"), false);
  });

  it("once and signal end subscriptions and remove their abort listeners", () => {
    const bus = new EventBus<Events>();
    const ac = new AbortController();
    let n = 0;
    bus.on("tick", () => void n++, { once: true, signal: ac.signal });
    bus.on("tick", () => void n++, { signal: ac.signal });
    assert.equal(getEventListeners(ac.signal, "abort").length, 2);
    bus.emit("tick", { n: 0 });
    assert.equal(getEventListeners(ac.signal, "abort").length, 1);
    ac.abort();
    bus.emit("tick", { n: 0 });
    assert.equal(n, 2);
    assert.equal(bus.listenerCount(), 0);
    assert.equal(getEventListeners(ac.signal, "abort").length, 0);
    bus.on("tick", () => void n++, { signal: ac.signal });
    assert.equal(bus.listenerCount(), 0, "an aborted signal subscribes nothing");
  });

  it("clear() removes every handler and its abort listener", () => {
    const bus = new EventBus<Events>();
    const ac = new AbortController();
    bus.on("tick", () => {}, { signal: ac.signal });
    bus.on("tock", () => {}, { signal: ac.signal });
    bus.clear();
    assert.equal(bus.listenerCount(), 0);
    assert.equal(getEventListeners(ac.signal, "abort").length, 0);
  });

  it("isolates handlers: a throw or a rejection goes to the error hook, the others still run", async () => {
    const errors: [unknown, string][] = [];
    const bus = new EventBus<Events>({ onHandlerError: (e, type) => void errors.push([e, type]) });
    let reached = 0;
    bus.on("tick", () => {
      throw new Error("sync");
    });
    bus.on("tick", async () => {
      throw new Error("async");
    });
    bus.on("tick", () => null);
    bus.on("tick", () => void reached++);
    bus.emit("tick", { n: 1 });
    await flush();
    assert.equal(reached, 1);
    assert.deepEqual(
      errors.map(([e, t]) => [(e as Error).message, t]),
      [
        ["sync", "tick"],
        ["async", "tick"],
      ],
    );
  });

  it("middleware may transform, drop or observe events, in order, and can be removed", () => {
    const bus = new EventBus<Events>();
    const got: number[] = [];
    bus.on("tick", (e) => void got.push(e.n));
    const removeDouble = bus.use((type, payload, next) => {
      if (type === "tick") next({ n: (payload as Events["tick"]).n * 2 } as typeof payload);
      else next(payload);
    });
    bus.use((type, payload, next) => {
      if (type === "tick" && (payload as Events["tick"]).n > 10) return; // drop
      next(payload);
    });
    assert.equal(bus.has("tock"), true, "middleware sees every type");
    bus.emit("tick", { n: 1 });
    bus.emit("tick", { n: 6 });
    removeDouble();
    bus.emit("tick", { n: 6 });
    assert.deepEqual(got, [2, 6]);
  });

  it("a throwing middleware drops the event and reports the error", () => {
    const errors: unknown[] = [];
    const bus = new EventBus<Events>({ onHandlerError: (e) => void errors.push(e) });
    let got = 0;
    bus.on("tick", () => void got++);
    bus.use(() => {
      throw new Error("mw");
    });
    bus.emit("tick", { n: 1 });
    assert.equal(got, 0);
    assert.equal(errors.length, 1);
  });

  it("keeps a bounded history, queryable by type, oldest first", () => {
    const bus = new EventBus<Events>({ history: 3 });
    assert.equal(bus.has("tick"), true, "history makes every emit count");
    for (let n = 0; n < 5; n++) bus.emit("tick", { n });
    bus.emit("tock", { s: "x" });
    assert.deepEqual(
      bus.history().map((e) => e.type),
      ["tick", "tick", "tock"],
    );
    assert.deepEqual(
      bus.history("tick").map((e) => e.payload.n),
      [3, 4],
    );
    assert.deepEqual(
      bus.history("tick").map((e) => e.seq),
      [3, 4],
    );
    assert.deepEqual(new EventBus<Events>().history(), [], "no history by default");
    assert.throws(() => new EventBus<Events>({ history: -1 }), { code: "WEIR_INVALID_OPTION" });
  });

  it("history records what middleware delivered", () => {
    const bus = new EventBus<Events>({ history: 10 });
    bus.use((type, payload, next) => {
      if (type !== "tock") next(payload);
    });
    bus.emit("tick", { n: 1 });
    bus.emit("tock", { s: "dropped" });
    assert.deepEqual(
      bus.history().map((e) => e.type),
      ["tick"],
    );
  });

  it("a throwing onHandlerError hook is reported as a warning, and never escapes emit", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      const bus = new EventBus<Events>({
        onHandlerError: () => {
          throw new Error("hook bug");
        },
      });
      let after = 0;
      bus.on("tick", () => {
        throw new Error("sync handler");
      });
      bus.on("tick", async () => {
        throw new Error("async handler");
      });
      bus.on("tick", () => void after++);
      bus.use((_type, payload, next) => next(payload));
      assert.doesNotThrow(() => bus.emit("tick", { n: 1 }));
      assert.equal(after, 1, "handlers after the throwing one still ran");
      await flush();
      await flush();
      const mine = warnings.filter((w) => w.name === "WeirEventWarning");
      assert.equal(mine.length, 2);
      assert.match(mine[0]!.message, /hook bug.*sync handler/);
      assert.match(mine[1]!.message, /hook bug.*async handler/);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("a middleware that calls next twice delivers the event once (the second call is ignored)", () => {
    const bus = new EventBus<Events>({ history: 10 });
    const got: number[] = [];
    bus.on("tick", (e) => void got.push(e.n));
    bus.use((type, payload, next) => {
      next(payload);
      if (type === "tick") next({ n: 99 } as typeof payload);
    });
    let downstream = 0;
    bus.use((_type, payload, next) => {
      downstream++;
      next(payload);
    });
    bus.emit("tick", { n: 1 });
    assert.deepEqual(got, [1]);
    assert.equal(downstream, 1, "later middleware ran once too");
    assert.equal(bus.history().length, 1);
  });

  it("forward: every event also goes to another bus, whose middleware, history and handlers apply", () => {
    const shared = new EventBus<Events>({ history: 10 });
    const local = new EventBus<Events>({ forward: shared });
    assert.equal(local.has("tick"), true, "the shared bus keeps history, so emitting counts");
    const quiet = new EventBus<Events>({ forward: new EventBus<Events>() });
    assert.equal(quiet.has("tick"), false, "nobody listens anywhere: emitters may skip the payload");
    const got: string[] = [];
    local.on("tick", (e) => void got.push(`local ${e.n}`));
    shared.on("tick", (e) => void got.push(`shared ${e.n}`));
    shared.use((type, payload, next) => {
      if (type === "tick") next({ n: (payload as Events["tick"]).n * 10 } as typeof payload);
      else next(payload);
    });
    local.emit("tick", { n: 1 });
    assert.deepEqual(got, ["local 1", "shared 10"]);
    assert.deepEqual(
      shared.history().map((e) => e.payload),
      [{ n: 10 }],
    );
    assert.equal(shared.listenerCount(), 1, "forwarding subscribes nothing");
    assert.throws(() => new EventBus<Events>({ forward: {} as never }), {
      code: "WEIR_INVALID_OPTION",
      option: "forward",
    });
    assert.throws(() => new EventBus<Events>({ onHandlerError: 1 as never }), {
      code: "WEIR_INVALID_OPTION",
      option: "onHandlerError",
    });
  });
});
