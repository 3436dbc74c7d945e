import type { RunStatus } from "./RunStatus.js";

/** One run `weir top` watches: where, and what it last said (or why it did not). */
export interface WatchedRun {
  /** Its status endpoint. */
  readonly address: string;
  /** What the registry (or the command line) calls it. */
  readonly label: string;
  readonly status: RunStatus | undefined;
  readonly error: string | undefined;
}

const header = ["RUN", "STAGE", "CTX", "IN/S", "OUT/S", "ERRORS", "QUEUE", "BUSY", "P50", "P99", "WORKERS"];

/**
 * Renders `weir top`'s table: one row per stage of every run (or of the selected run only), with
 * rates and busy share since the previous frame. Pure apart from the previous frame it keeps:
 * the caller draws the lines.
 */
export class TopView {
  /** Each stage's counts at the previous frame, by run address and stage. */
  #previous = new Map<string, { elapsedMs: number; in: number; out: number; busyMs: number }>();

  /**
   * Lines of one frame; `selected` is the index of the picked run, `only` shows it alone; `store`
   * is the store file searched as well as the machine's registry (said when no run is found).
   */
  render(runs: readonly WatchedRun[], selected: number, only: boolean, store?: string): string[] {
    const rows: string[][] = [header];
    const marks: string[] = [];
    const next = new Map<string, { elapsedMs: number; in: number; out: number; busyMs: number }>();
    runs.forEach((run, i) => {
      if (only && i !== selected) return;
      const mark = i === selected ? ">" : " ";
      const s = run.status;
      if (s === undefined) {
        rows.push([run.label, run.error ?? "…", "", "", "", "", "", "", "", "", ""]);
        marks.push(mark);
        return;
      }
      const label = `${s.name}:${s.pid}`;
      if (s.kind === "workflow") {
        const tasks = Object.entries(s.tasks ?? {})
          .map(([state, n]) => `${n} ${state}`)
          .join(", ");
        rows.push([label, `(workflow) ${tasks}`, "", "", "", "", "", "", "", "", ""]);
        marks.push(mark);
        return;
      }
      for (const st of s.stages) {
        const key = `${run.address}|${st.name}`;
        const prev = this.#previous.get(key);
        next.set(key, { elapsedMs: s.elapsedMs, in: st.in, out: st.out, busyMs: st.busyMs });
        const dt = prev === undefined ? s.elapsedMs : s.elapsedMs - prev.elapsedMs;
        const per = (now: number, before: number): string => (dt > 0 ? fmt(((now - before) * 1000) / dt) : "0");
        const busy = dt > 0 ? Math.min(1, Math.max(0, (st.busyMs - (prev?.busyMs ?? 0)) / dt)) : 0;
        rows.push([
          label,
          `${st.name}${s.bottleneck === st.name ? " *" : ""}`,
          st.context,
          per(st.in, prev?.in ?? 0),
          per(st.out, prev?.out ?? 0),
          fmt(st.errors),
          st.queueCapacity > 0 ? `${st.queueDepth}/${st.queueCapacity}` : "-",
          `${Math.round(busy * 100)}%`,
          ms(st.p50Ms),
          ms(st.p99Ms),
          st.workers === undefined ? "-" : `${st.workers.busy}/${st.workers.total}`,
        ]);
        marks.push(mark);
      }
    });
    this.#previous = next;
    const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const text = rows.map((r) =>
      r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "),
    );
    const title = `weir top — ${runs.length} run${runs.length === 1 ? "" : "s"}${only ? " (one shown)" : ""}   * bottleneck`;
    const help = "keys: ↑/↓ or j/k pick a run · enter show it alone/all · s stop it · q quit";
    if (runs.length === 0) {
      const where = store === undefined ? "the machine's registry" : `the store ${store} and the machine's registry`;
      return [title, "", `no weir run on this machine (weir run registers itself; searched ${where})`, "", help];
    }
    return [title, "", ` ${text[0]!}`, ...text.slice(1).map((l, i) => `${marks[i]}${l}`), "", help];
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function ms(v: number): string {
  if (v === 0) return "-";
  return v < 10 ? `${v.toFixed(1)}ms` : v < 10_000 ? `${Math.round(v)}ms` : `${(v / 1000).toFixed(1)}s`;
}
