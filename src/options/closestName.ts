/**
 * The name in `known` that `given` most likely misspells (`singal` → `signal`, `Concurrency` →
 * `concurrency`) or shortens (`grace` → `grace-ms`), for a "did you mean" hint; undefined when
 * none is close. Close means the same letters in another case, the start (three letters or more)
 * of exactly one known name, or at most one edit (a letter added, dropped, changed, or two
 * neighbours swapped) per four letters of the name, and at least one, at most three.
 *
 * @example
 * ```ts
 * closestName("singal", ["signal", "clock"]) // "signal"
 * ```
 */
export function closestName(given: string, known: readonly string[]): string | undefined {
  const lower = given.toLowerCase();
  const sameLetters = known.find((k) => k.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  if (lower.length >= 3) {
    const extended = known.filter((k) => k.toLowerCase().startsWith(lower));
    if (extended.length === 1) return extended[0];
  }
  const allowed = Math.min(3, Math.max(1, Math.floor(given.length / 4)));
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Edits (insert, delete, substitute, swap two neighbours) turning `a` into `b`. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const up = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(up[j]! + 1, row[j - 1]! + 1, up[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
