import type { Channel } from "../../channel/Channel.js";
import type { GraphNode } from "../../graph/GraphNode.js";

/**
 * The per-run function that names an item's branch, for a route by key or a built-in strategy
 * (undefined for a dispatch route, whose function emits instead). Strategies keep their state per
 * run: `round-robin` takes the branches in turn; `least-loaded` takes the branch whose input
 * channels have the most room (the least room among a branch's channels; a branch nothing reads
 * has all the room), ties broken in turn from after the last pick.
 */
export function routePicker(
  route: NonNullable<GraphNode["route"]>,
  branches: ReadonlyMap<string, readonly Channel<unknown>[]>,
): ((item: unknown) => unknown) | undefined {
  const keys = [...branches.keys()];
  const n = keys.length;
  switch (route.strategy ?? "key") {
    case "emit":
      return undefined;
    case "round-robin": {
      let next = 0;
      return () => {
        const key = keys[next]!;
        next = next + 1 === n ? 0 : next + 1;
        return key;
      };
    }
    case "least-loaded": {
      const lists = keys.map((k) => branches.get(k)!);
      let start = 0;
      return () => {
        let best = start;
        let bestRoom = -Infinity;
        for (let j = 0; j < n; j++) {
          const b = (start + j) % n;
          let room = Infinity;
          for (const c of lists[b]!) room = Math.min(room, c.capacity - c.size);
          if (room > bestRoom) {
            bestRoom = room;
            best = b;
          }
        }
        start = best + 1 === n ? 0 : best + 1;
        return keys[best]!;
      };
    }
    default:
      return route.key;
  }
}
