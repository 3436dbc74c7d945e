// What the fleet benchmark's workers serve.

/** A tiny item: the messaging is all there is to measure. */
export function tiny(x: number): number {
  return x * 2;
}

/** About 1 ms of CPU per item (a fixed amount of arithmetic, not a clock). */
export function cpu(x: number): number {
  let h = x | 0;
  for (let i = 0; i < 400_000; i++) h = (Math.imul(h, 31) + i) | 0;
  return h === 0.5 ? -1 : x;
}
