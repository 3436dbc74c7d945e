import { RangeSet } from "../../store/RangeSet.js";
import type { BatchCarriers } from "../queue/BatchCarriers.js";

/** How far one source of a durable run got, in its own positions. */
export interface SourceMark {
  /** Every position below this is done. */
  watermark: number;
  /** Positions at or above `watermark` that are done too (finished out of order). */
  readonly done: RangeSet;
}

/** What {@link SourceProgress} reads of a running pipeline. */
export interface HeldView {
  /** Calls `visit` with every run-wide source index still inside the pipeline (a superset). */
  forEachHeld(visit: (index: number) => void): void;
  /** Items pulled from each source, in numbering order. */
  sourcePositions(): readonly number[];
}

/**
 * The done part of a durable run's checkpoint, per source: a low watermark and the ranges of
 * positions above it that are done. A position is done once it was pulled and is no longer held
 * anywhere in the pipeline (channels, slots, reorder windows, outboxes, batches, chunks on their
 * way; a batch on its way holds every index it covers); done stays done, so what one look found
 * is kept and the next only adds to it. Looks are taken at group commits, while the run is not
 * aborted (an abort may release items that are not done).
 */
export class SourceProgress {
  readonly marks: readonly SourceMark[];

  constructor(marks: readonly SourceMark[]) {
    this.marks = marks;
  }

  /** Adds what is done now to each source's mark. */
  advance(view: HeldView, carriers: BatchCarriers | undefined): void {
    const sources = this.marks.length;
    const positions = view.sourcePositions();
    const all: number[] = [];
    view.forEachHeld((index) => {
      if (index >= 0 && Number.isFinite(index)) all.push(index);
    });
    const perSource: number[][] = this.marks.map(() => []);
    for (const id of all) {
      // a flatMap child's id is its source index plus a fraction (see ChildKeys): it holds that index
      const index = Math.floor(id);
      const k = index % sources;
      perSource[k]!.push((index - k) / sources);
    }
    const held = perSource.map((list) => {
      const sorted = Float64Array.from(list).sort();
      const set = new RangeSet();
      for (const p of sorted) set.addRange(p, p + 1);
      return set;
    });
    if (carriers !== undefined) {
      const heldSeqs = new Set(all);
      carriers.expand(
        (carrier) => heldSeqs.has(carrier),
        (carrier, last) => {
          for (let k = 0; k < sources; k++) {
            const from = Math.max(0, Math.ceil((carrier - k) / sources));
            const to = Math.floor((last - k) / sources) + 1;
            if (to > from) held[k]!.addRange(from, to);
          }
        },
      );
    }
    this.marks.forEach((mark, k) => {
      const end = positions[k] ?? 0;
      let cursor = mark.watermark;
      for (const [start, stop] of held[k]!.ranges()) {
        if (stop <= cursor) continue;
        if (start >= end) break;
        if (start > cursor) mark.done.addRange(cursor, start);
        cursor = Math.max(cursor, stop);
      }
      if (cursor < end) mark.done.addRange(cursor, end);
      settle(mark);
    });
  }

  /**
   * The run ended aborted: what was done at the last look stays; each watermark also rises to the
   * run's final low watermark (`runWatermark`, run-wide), taken when it ended.
   */
  lift(runWatermark: number, positions: readonly number[]): void {
    const sources = this.marks.length;
    this.marks.forEach((mark, k) => {
      const local =
        sources === 1 ? runWatermark : Math.min(positions[k] ?? 0, Math.ceil(Math.max(0, runWatermark - k) / sources));
      if (local > mark.watermark) mark.watermark = local;
      settle(mark);
    });
  }
}

/** Moves the watermark over what is done right above it, and drops what it covers. */
function settle(mark: SourceMark): void {
  mark.watermark = mark.done.firstMissing(mark.watermark);
  mark.done.deleteBelow(mark.watermark);
}
