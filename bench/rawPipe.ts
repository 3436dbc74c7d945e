/**
 * The raw batched pipe: the floor `map(child())` is measured against (`bench/workers.ts`,
 * `bench/ab-pool.ts --floor`). Children of `test/fixtures/workers/rawPipe.mjs`, batches of 1,024
 * numbers as `[u32 length][msgpack]` frames over stdin, replies the same way over stdout, two
 * batches in flight a child. No pool, no ordering, no bookkeeping: what a process hop costs at
 * the least.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Packr } from "msgpackr";

const script = fileURLToPath(new URL("../test/fixtures/workers/rawPipe.mjs", import.meta.url));

/** Raw pipe children, started. */
export interface RawPipe {
  /** Sends the numbers `0..n)` through the children; resolves once every reply is read. */
  run(n: number): Promise<void>;
  /** Ends the children's input; resolves once they exited. */
  stop(): Promise<void>;
}

/** Starts `processes` raw pipe children. */
export function startRawPipe(processes: number): RawPipe {
  const packr = new Packr({ useRecords: false });
  const children: ChildProcess[] = Array.from({ length: processes }, () =>
    spawn(process.execPath, [script], { stdio: ["pipe", "pipe", "inherit"] }),
  );
  const run = (n: number): Promise<void> =>
    new Promise<void>((resolve) => {
      let next = 0;
      let done = 0;
      const send = (c: ChildProcess): void => {
        if (next >= n) return;
        const count = Math.min(1024, n - next);
        const body = packr.pack(Array.from({ length: count }, (_, i) => next + i));
        const frame = Buffer.allocUnsafe(4 + body.length);
        frame.writeUInt32LE(body.length, 0);
        body.copy(frame, 4);
        c.stdin!.write(frame);
        next += count;
      };
      for (const c of children) {
        let pending: Buffer = Buffer.alloc(0);
        c.stdout!.removeAllListeners("data");
        c.stdout!.on("data", (chunk: Buffer) => {
          pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
          let off = 0;
          while (pending.length - off >= 4) {
            const len = pending.readUInt32LE(off);
            if (pending.length - off - 4 < len) break;
            const out = packr.unpack(pending.subarray(off + 4, off + 4 + len)) as number[];
            off += 4 + len;
            done += out.length;
            if (done === n) resolve();
            else send(c);
          }
          pending = pending.subarray(off);
        });
        send(c);
        send(c); // two in flight per process
      }
    });
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.once("exit", () => resolve());
            c.stdin!.end();
          }),
      ),
    );
  };
  return { run, stop };
}
