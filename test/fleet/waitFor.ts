import { Redis } from "ioredis";

/** Polls `condition` until it holds; a hang guard (default 60 s) fails the test with `what`. */
export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  what: string,
  guardMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + guardMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Entries pending in the workers' group on an export's request stream, by consumer name. */
export async function pendingByConsumer(url: string, service: string, prefix = "weir"): Promise<Map<string, number>> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on("error", () => undefined);
  try {
    const summary = (await client.xpending(`${prefix}:q:${service}`, "weir")) as [
      number,
      unknown,
      unknown,
      Array<[string, string]> | null,
    ];
    return new Map((summary[3] ?? []).map(([name, count]) => [name, Number(count)]));
  } catch {
    return new Map();
  } finally {
    client.disconnect();
  }
}

/** Counts per key: what a keyed (idempotent) sink sees. */
export class KeyedSink<K> {
  readonly counts = new Map<K, number>();

  add(key: K): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Keys seen more than once. */
  get twice(): K[] {
    return [...this.counts].filter(([, n]) => n > 1).map(([k]) => k);
  }
}
