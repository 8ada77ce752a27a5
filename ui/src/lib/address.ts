import type { Address } from './types';

function withSuffix(v: string, suffix: string): string {
  const t = v.trim();
  return t.endsWith(suffix) ? t : t + suffix;
}

/** One-line address for a title, as the household list shows it (`阳光小区3栋2单元501室`). */
export function addressLine(a: Address): string {
  if (a.kind === 'flat') {
    return (
      a.estate +
      withSuffix(a.building, '栋') +
      (a.unit.trim() ? withSuffix(a.unit, '单元') : '') +
      withSuffix(a.room, '室')
    );
  }
  return a.street + withSuffix(a.number, '号');
}
