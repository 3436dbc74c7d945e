import type { Family } from "./families.js";

/** Label names and values of one sample. */
export type Labels = Readonly<Record<string, string>>;

/** One labelled series: a value, or a histogram's cumulative buckets, sum and count. */
export interface Series {
  readonly labels: Labels;
  value: number;
  buckets: number[] | undefined;
  sum: number;
}

/**
 * The samples of one scrape (or the totals of ended runs), by metric then by label set. Two runs
 * reporting the same labels combine: counters and histograms add, gauges add or take the max as
 * their family says.
 */
export class Frame {
  readonly series = new Map<Family, Map<string, Series>>();
  /** Keeps counters and histograms only (an ended run's final reading: its gauges are gone). */
  readonly #totalsOnly: boolean;

  /** @param totalsOnly leave gauge samples out */
  constructor(totalsOnly = false) {
    this.#totalsOnly = totalsOnly;
  }

  /** Adds a counter or gauge sample. */
  add(family: Family, labels: Labels, value: number): void {
    if (this.#totalsOnly && family.type === "gauge") return;
    const s = this.#series(family, labels);
    s.value = family.combine === "max" ? Math.max(s.value, value) : s.value + value;
  }

  /** Adds histogram samples: cumulative counts at the frame's bounds, their sum and count. */
  addHistogram(family: Family, labels: Labels, cumulative: readonly number[], sum: number, count: number): void {
    const s = this.#series(family, labels);
    if (s.buckets === undefined) s.buckets = [...cumulative];
    else for (let i = 0; i < cumulative.length; i++) s.buckets[i]! += cumulative[i]!;
    s.sum += sum;
    s.value += count;
  }

  /** Adds what `other` holds of counters and histograms (an ended run's totals). */
  addTotals(other: Frame): void {
    for (const [family, byLabels] of other.series) {
      if (family.type === "gauge") continue;
      for (const s of byLabels.values()) {
        if (s.buckets === undefined) this.add(family, s.labels, s.value);
        else this.addHistogram(family, s.labels, s.buckets, s.sum, s.value);
      }
    }
  }

  /** A copy (of counters and histograms only). */
  totals(): Frame {
    const copy = new Frame();
    copy.addTotals(this);
    return copy;
  }

  #series(family: Family, labels: Labels): Series {
    let byLabels = this.series.get(family);
    if (byLabels === undefined) this.series.set(family, (byLabels = new Map()));
    const key = labelKey(labels);
    let s = byLabels.get(key);
    if (s === undefined) byLabels.set(key, (s = { labels, value: 0, buckets: undefined, sum: 0 }));
    return s;
  }
}

/**
 * The key of a label set. Label names in insertion order, not sorted: a reading builds each
 * family's label sets in one order (`pipeline`, `stage`, `context`, then the family's own), and
 * sorting them cost most of a run's final reading.
 */
function labelKey(labels: Labels): string {
  let key = "";
  for (const name in labels) key += name + "\u0000" + labels[name] + "\u0001";
  return key;
}
