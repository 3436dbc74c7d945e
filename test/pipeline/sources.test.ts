import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { pipeline, InvalidOptionError, SourceError } from "../../src/index.js";
import { collect } from "../helpers.js";

describe("sources", () => {
  it("reads an array", async () => {
    assert.deepEqual(
      await collect(
        pipeline("p")
          .from([1, 2, 3])
          .map((x) => x * 10)
          .stream(),
      ),
      [10, 20, 30],
    );
  });

  it("reads a generator, a Set and a string-free iterable", async () => {
    function* gen(): Generator<number> {
      yield 1;
      yield 2;
    }
    assert.deepEqual(await collect(pipeline("p").from(gen()).stream()), [1, 2]);
    assert.deepEqual(
      await collect(
        pipeline("p")
          .from(new Set(["a", "b"]))
          .stream(),
      ),
      ["a", "b"],
    );
  });

  it("reads an iterator's next method once, as for…of does, where no fused tail pulls it", async () => {
    let reads = 0;
    let i = 0;
    const iterator = {
      get next() {
        reads++;
        return (): IteratorResult<number> =>
          i < 3000 ? { done: false, value: i++ } : { done: true, value: undefined };
      },
    } as Iterator<number>;
    const out = await collect(
      pipeline<number>("p")
        .from({ [Symbol.iterator]: () => iterator })
        .map(async (x) => x + 1, { concurrency: 4 })
        .stream(),
    );
    assert.equal(out.length, 3000);
    assert.equal(out[2999], 3000);
    assert.equal(reads, 1);
  });

  it("fails the run with a SourceError when the iterator has no next method", async () => {
    const broken = { [Symbol.iterator]: () => ({}) as Iterator<number> };
    for (const make of [
      () =>
        pipeline<number>("p")
          .from(broken)
          .map((x) => x)
          .to(() => {}),
      () =>
        pipeline<number>("p")
          .from(broken)
          .map(async (x) => x),
    ])
      await assert.rejects(make().run(), (e: unknown) => {
        assert.ok(e instanceof SourceError);
        assert.ok(e.cause instanceof TypeError);
        return true;
      });
  });

  it("reads an async generator", async () => {
    async function* gen(): AsyncGenerator<number> {
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setImmediate(r));
        yield i;
      }
    }
    assert.deepEqual(await collect(pipeline("p").from(gen()).stream()), [0, 1, 2, 3, 4]);
  });

  it("reads a web ReadableStream", async () => {
    const rs = new ReadableStream<number>({
      start(controller) {
        for (let i = 0; i < 3; i++) controller.enqueue(i);
        controller.close();
      },
    });
    assert.deepEqual(await collect(pipeline("p").from(rs).stream()), [0, 1, 2]);
  });

  it("reads a Node Readable in object mode", async () => {
    assert.deepEqual(
      await collect(
        pipeline("p")
          .from(Readable.from(["x", "y"]))
          .stream(),
      ),
      ["x", "y"],
    );
  });

  it("calls a function source at the start of each run", async () => {
    let calls = 0;
    const p = pipeline("p").from(() => {
      calls++;
      return [calls, calls];
    });
    assert.deepEqual(await collect(p.stream()), [1, 1]);
    assert.deepEqual(await collect(p.stream()), [2, 2]);
  });

  it("calls a function source returning a web ReadableStream, a fresh one per run", async () => {
    let calls = 0;
    const p = pipeline("p")
      .from(() => {
        const start = 10 * ++calls;
        return new ReadableStream<number>({
          start(controller) {
            for (let i = 0; i < 3; i++) controller.enqueue(start + i);
            controller.close();
          },
        });
      })
      .map((x) => x + 1);
    assert.deepEqual(await collect(p.stream()), [11, 12, 13]);
    const r = await p.run();
    assert.equal(r.sourceItems, 3);
    assert.equal(calls, 2);
  });

  it("calls a function source returning a Node Readable (object mode and bytes)", async () => {
    assert.deepEqual(
      await collect(
        pipeline("p")
          .from(() => Readable.from([{ a: 1 }, { a: 2 }]))
          .map((o) => o.a)
          .stream(),
      ),
      [1, 2],
    );
    const bytes = await collect(
      pipeline("p")
        .from(() => Readable.from([Buffer.from("ab"), Buffer.from("cd")], { objectMode: false }))
        .stream(),
    );
    assert.equal(Buffer.concat(bytes as Buffer[]).toString(), "abcd");
  });

  it("a web stream given directly is read once: a second run fails with an InvalidOptionError saying so", async () => {
    const p = pipeline("p").from(new ReadableStream<number>({ start: (c) => (c.enqueue(1), c.close()) }));
    assert.deepEqual(await collect(p.stream()), [1]);
    await assert.rejects(
      p.run(),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "from" && /read once/.test(e.message),
    );
  });

  it("an error from a web stream fails the run with a SourceError", async () => {
    const rs = new ReadableStream<number>({
      pull(c) {
        c.error(new Error("socket reset"));
      },
    });
    await assert.rejects(
      pipeline("p")
        .from(() => rs)
        .run(),
      (e: unknown) => e instanceof SourceError && (e.cause as Error).message === "socket reset",
    );
  });

  it("pulls lazily: nothing is read before the run, and only what the channels hold", async () => {
    let pulled = 0;
    function* gen(): Generator<number> {
      for (let i = 0; i < 1_000_000; i++) {
        pulled++;
        yield i;
      }
    }
    const p = pipeline("p").from(gen);
    assert.equal(pulled, 0);
    const it = p.stream({ capacity: 8 })[Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { done: false, value: 0 });
    await new Promise((r) => setImmediate(r));
    assert.ok(pulled <= 8 + 1, `pulled ${pulled}, capacity 8`);
    await it.return!();
  });

  it("rejects what is not a source, naming the option", () => {
    assert.throws(
      () => pipeline("p").from(42 as never),
      (e: unknown) =>
        e instanceof InvalidOptionError && e.option === "from" && /pipeline "p"/.test(e.message) && e.received === "42",
    );
  });

  it("fails the run with a SourceError when the source throws, with the position", async () => {
    function* bad(): Generator<number> {
      yield 1;
      yield 2;
      throw new Error("disk gone");
    }
    await assert.rejects(
      pipeline("p")
        .from(bad)
        .to(() => {})
        .run(),
      (e: unknown) => {
        assert.ok(e instanceof SourceError);
        assert.equal(e.code, "WEIR_SOURCE_FAILED");
        assert.equal(e.position, 2);
        assert.equal((e.cause as Error).message, "disk gone");
        return true;
      },
    );
  });
});
