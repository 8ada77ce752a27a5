// The periods the statistics screen offers, as local days `YYYY-MM-DD` counted from the
// device's today (which the shell gives in Beijing time), and how its figures read.
import type { Ratio } from './types';

export type PeriodKey = 'this_month' | 'last_month' | 'last_7' | 'this_year';
export const PERIODS: readonly PeriodKey[] = ['this_month', 'last_month', 'last_7', 'this_year'];

export interface Period {
  from: string;
  to: string;
}

function ymd(y: number, m: number, d: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${y}-${pad(m)}-${pad(d)}`;
}

/** Days in month `m` (1–12) of year `y`. */
function daysIn(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** The period `key` ending today (`YYYY-MM-DD`); a whole month for the months. */
export function periodOf(key: PeriodKey, today: string): Period {
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  switch (key) {
    case 'this_month':
      return { from: ymd(y, m, 1), to: ymd(y, m, daysIn(y, m)) };
    case 'last_month': {
      const [py, pm] = m === 1 ? [y - 1, 12] : [y, m - 1];
      return { from: ymd(py, pm, 1), to: ymd(py, pm, daysIn(py, pm)) };
    }
    case 'last_7': {
      const start = new Date(Date.UTC(y, m - 1, d - 6));
      return { from: ymd(start.getUTCFullYear(), start.getUTCMonth() + 1, start.getUTCDate()), to: today };
    }
    case 'this_year':
      return { from: ymd(y, 1, 1), to: ymd(y, 12, 31) };
  }
}

/** A rate as a percentage with one decimal, or `none` when nothing was below the line. */
export function percent(r: Ratio, none: string): string {
  if (r.denominator === 0) return none;
  return `${((100 * r.numerator) / r.denominator).toFixed(1)}%`;
}

/** Milliseconds as hours with one decimal. */
export function hours(ms: number): string {
  return (ms / 3_600_000).toFixed(1);
}
