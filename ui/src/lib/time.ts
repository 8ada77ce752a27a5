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

/** A unix-milliseconds time as `2026-11-24 10:10` in local time. */
export function msDateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const d = new Date(ms);
  if (isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The same without the year (`11-24 10:10`), for list rows. */
export function msShort(ms: number | null | undefined): string {
  return msDateTime(ms).slice(5);
}

/** A unix-milliseconds time as a `datetime-local` input's value (`2026-11-24T10:10`). */
export function msToLocalInput(ms: number): string {
  return msDateTime(ms).replace(' ', 'T');
}

/** A `datetime-local` input's value as unix milliseconds (null when it is not a time). */
export function localInputToMs(value: string): number | null {
  if (!value) return null;
  const t = new Date(value).getTime();
  return isNaN(t) ? null : t;
}
