import type { RunSnapshot } from "../run/RunResult.js";

/**
 * Renders run snapshots as a table for a terminal: per stage, items in and out, throughput since
 * the previous frame, in flight, queue depth, errors, and the busy share since the previous frame;
 * the head line names the bottleneck stage (see `RunSnapshot.bottleneck`). Pure: the caller
 * writes the lines.
 */
export class ProgressView {
  #previous: { at: number; out: Map<string, number>; busy: Map<string, number> } | undefined;

  /** Lines for one frame. */
  render(snapshot: RunSnapshot): string[] {
    const now = snapshot.elapsedMs;
    const prev = this.#previous;
    const rows: string[][] = [["stage", "ctx", "in", "out", "items/s", "in flight", "queue", "errors", "busy"]];
    const out = new Map<string, number>();
    const busy = new Map<string, number>();
    for (const s of snapshot.stages) {
      out.set(s.name, s.out);
      busy.set(s.name, s.busyMs);
      const dt = prev === undefined ? now : now - prev.at;
      const done = s.out - (prev?.out.get(s.name) ?? 0);
      const rate = dt > 0 ? (done * 1000) / dt : 0;
      const busyShare = dt > 0 ? Math.min(1, (s.busyMs - (prev?.busy.get(s.name) ?? 0)) / dt) : s.utilisation;
      const errors =
        s.errors + s.dropped > 0
          ? `${s.errors}${s.deadLettered ? ` (${s.deadLettered} dl)` : ""}${s.dropped ? ` ${s.dropped} dropped` : ""}`
          : "0";
      rows.push([
        s.name,
        s.context,
        fmt(s.in),
        fmt(s.out),
        fmt(Math.round(rate)),
        String(s.inFlight),
        String(s.queueDepth),
        errors,
        `${Math.round(busyShare * 100)}%`,
      ]);
    }
    this.#previous = { at: now, out, busy };
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const lines = rows.map((r) =>
      r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "),
    );
    const head = `${snapshot.pipeline}  ${snapshot.state}  ${(snapshot.elapsedMs / 1000).toFixed(1)}s  source ${fmt(snapshot.sourceItems)}${snapshot.sourceDone ? " (done)" : ""}${snapshot.bottleneck === undefined ? "" : `  bottleneck ${snapshot.bottleneck}`}`;
    return [head, ...lines];
  }
}

/** 1234567 → "1,234,567". */
export function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
