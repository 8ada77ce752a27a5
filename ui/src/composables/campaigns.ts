// Roster campaigns (专项任务) on screen: who may start one (core's answer), how completion
// reads, and the member's roster as they walk it — grouped by household in the address
// order core gives, searched by name, pinyin or address, and a tick applied in place once
// core has taken it (no reload per tap).
import type { AnswerOption, AppInfo, Campaign, Completion, RosterItem, Tick } from '@/lib/types';

/** Whether this device's user may start campaigns (core's answer in AppInfo). */
export function mayStartCampaigns(info: AppInfo | null): boolean {
  return info?.mayCampaign ?? false;
}

/** Done of total as a whole percentage (0 when there is nothing to count). */
export function percentDone(c: Pick<Completion, 'done' | 'total'>): number {
  return c.total > 0 ? Math.round((100 * c.done) / c.total) : 0;
}

/** The percentage as shown beside a bar. */
export function percentText(c: Pick<Completion, 'done' | 'total'>): string {
  return c.total > 0 ? `${percentDone(c)}%` : '—';
}

/** The answer of `campaign` with `code`. */
export function optionOf(campaign: Campaign, code: string): AnswerOption | undefined {
  return campaign.options.find((o) => o.code === code);
}

/** A search query as the roster compares it: lower case, no spaces. */
export function normalise(q: string): string {
  return q.trim().toLowerCase().replace(/\s+/g, '');
}

/**
 * Whether `item` matches a normalised query: the name or address containing it, or the
 * name's pinyin initials or full pinyin starting with it (张三: `zs`, `zhang`).
 */
export function matches(item: RosterItem, q: string): boolean {
  if (!q) return true;
  if (item.name.toLowerCase().includes(q) || item.address.toLowerCase().replace(/\s+/g, '').includes(q)) return true;
  return (!!item.initials && item.initials.startsWith(q)) || (!!item.pinyin && item.pinyin.startsWith(q));
}

export interface HouseholdGroup {
  household: string;
  address: string;
  grid: string;
  items: RosterItem[];
}

/** Consecutive items of one household under its address (the roster is in address order). */
export function byHousehold(items: readonly RosterItem[]): HouseholdGroup[] {
  const out: HouseholdGroup[] = [];
  for (const item of items) {
    const last = out[out.length - 1];
    if (last && last.household === item.household) last.items.push(item);
    else out.push({ household: item.household, address: item.address, grid: item.grid, items: [item] });
  }
  return out;
}

/** Completion of a roster as it stands on screen. */
export function rosterCompletion(items: readonly RosterItem[]): Pick<Completion, 'done' | 'total'> {
  let done = 0;
  for (const i of items) if (i.done) done++;
  return { done, total: items.length };
}

/** The item after core took `tick` of `option` (as core stored it). */
export function ticked(item: RosterItem, option: AnswerOption, tick: Tick): RosterItem {
  return { ...item, done: option.done, tick };
}
