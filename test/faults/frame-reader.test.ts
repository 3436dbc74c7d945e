/**
 * Frames reassembled from a byte stream however it is cut: every frame comes out whole, once, in
 * order; a header over the limit is refused as soon as its 4 bytes are in, before anything is
 * allocated for the body.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FrameReader } from "../../src/executor/pool/wire/FrameReader.js";

function framed(bodies: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const body of bodies) {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(body.length, 0);
    parts.push(head, Buffer.from(body));
  }
  return Buffer.concat(parts);
}

/** `bytes` cut at `cuts` (sorted, deduplicated offsets inside it). */
function cut(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
}

describe("FrameReader", () => {
  it("delivers every frame whole, once, in order, whatever the chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (bodies, cuts) => {
          const reader = new FrameReader(1024);
          const got: Buffer[] = [];
          for (const chunk of cut(framed(bodies), cuts)) {
            reader.push(
              chunk,
              (body) => got.push(Buffer.from(body)),
              () => assert.fail("no frame is over the limit"),
            );
          }
          assert.deepEqual(
            got.map((b) => [...b]),
            bodies.map((b) => [...b]),
          );
          assert.equal(reader.buffered, 0);
        },
      ),
    );
  });

  it("refuses a header over the limit from its 4 bytes alone, and reads nothing after it", () => {
    const reader = new FrameReader(100);
    const oversized: number[] = [];
    const frames: number[] = [];
    const onFrame = (b: Buffer): number => frames.push(b.length);
    reader.push(framed([new Uint8Array(5)]), onFrame, (n) => oversized.push(n));
    reader.push(Buffer.from([0xff, 0xff]), onFrame, (n) => oversized.push(n));
    assert.equal(oversized.length, 0, "half a header: nothing to judge yet");
    reader.push(Buffer.from([0xff, 0xff]), onFrame, (n) => oversized.push(n));
    assert.deepEqual(oversized, [0xffffffff]);
    reader.push(framed([new Uint8Array(3)]), onFrame, (n) => oversized.push(n));
    assert.deepEqual(frames, [5], "the frame before it only");
    assert.equal(reader.buffered, 0, "what it held is dropped");
  });

  it("fills a large frame as its chunks come and hands it over once they are all in", () => {
    const body = Buffer.alloc(1_000_000, 7);
    const bytes = framed([body]);
    const reader = new FrameReader(2_000_000);
    const got: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 65_536) {
      reader.push(
        bytes.subarray(at, at + 65_536),
        (b) => got.push(b),
        () => assert.fail(),
      );
      if (at + 65_536 < bytes.length) assert.equal(got.length, 0);
    }
    assert.equal(got.length, 1);
    assert.ok(got[0]!.equals(body));
  });
});
