import { pipeline } from "../../src/index.js";

/** The error `charge` throws: its `code` labels the failure metrics. */
export class Declined extends Error {
  readonly code = "EDECLINED";
}

/** 100 items: `even` lets 50 through; `charge` fails every tenth twice (then dead-letters it); `ship` skips 42. */
export function orders(sink: number[]) {
  return pipeline("orders")
    .from(Array.from({ length: 100 }, (_, i) => i))
    .filter(async (x: number) => x % 2 === 0, { name: "even" })
    .map(
      async (x: number) => {
        if (x % 10 === 0) throw new Declined(`card declined for ${x}`);
        return x;
      },
      { name: "charge", retry: { attempts: 2, baseMs: 0, jitter: 0 }, onError: "dead-letter" },
    )
    .map(
      async (x: number) => {
        if (x === 42) throw new Error("no address");
        return x;
      },
      { name: "ship", onError: "skip" },
    )
    .to((x: number) => void sink.push(x), { name: "store" });
}
