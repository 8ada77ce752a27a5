// Times arrive as RFC 3339 UTC strings; the member reads them in the device's local time.

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `2026-11-24 10:10` in local time; the input itself when it is not a time. */
export function localDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `2026-11-24` in local time. */
export function localDate(iso: string | null | undefined): string {
  return localDateTime(iso).slice(0, 10);
}
