import type { Redis } from "ioredis";

/**
 * Creates consumer group `group` on `stream` (and the stream), reading from the start, unless it
 * exists (`BUSYGROUP` is not an error here). Origins and workers both call it, whichever is first.
 */
export function ensureGroup(client: Redis, stream: string, group: string): Promise<void> {
  return ensureGroupAt(client, stream, group, "0");
}

/** {@link ensureGroup} with the id a new group starts after: `"0"` (every entry) or `"$"` (new ones). */
export async function ensureGroupAt(client: Redis, stream: string, group: string, start: string): Promise<void> {
  try {
    await client.xgroup("CREATE", stream, group, start, "MKSTREAM");
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith("BUSYGROUP"))) throw error;
  }
}
