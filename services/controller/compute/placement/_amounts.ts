// Number helpers shared by the filters, the weigher and the text for operators.

/** Tolerance for sums of fractional capacities (ratios like 1.5 make 0.1 + 0.2 style errors). */
export const EPSILON = 1e-9;

/** A capacity figure placement can count on: finite and above zero (or zero when `zeroOk`). */
export function isCountable(n: number, zeroOk = false): boolean {
  return Number.isFinite(n) && (zeroOk ? n >= 0 : n > 0);
}

/** 4, 2.5, NaN: whole numbers as they are, others with one decimal. */
export function amount(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  return n.toFixed(1);
}

/** 0.257 -> "26%". */
export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
