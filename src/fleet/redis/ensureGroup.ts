import type { Redis } from "ioredis";

/**
 * Creates consumer group `group` on `stream` (and the stream), reading from the start, unless it
 * exists (`BUSYGROUP` is not an error here). Origins and workers both call it, whichever is first.
 */
export async function ensureGroup(client: Redis, stream: string, group: string): Promise<void> {
  try {
    await client.xgroup("CREATE", stream, group, "0", "MKSTREAM");
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith("BUSYGROUP"))) throw error;
  }
}
