// Notices across the shell: the 通知 tab's badge (notices for this user not yet confirmed)
// and the 特急 banner's list (what core says the member must acknowledge now). Both are
// refreshed at start, after each sync round, and whenever a notice page or the list has
// something newer (a confirmation, a load).
import { ref } from 'vue';
import { api } from '@/lib/api';
import type { AppInfo, NoticeRow } from '@/lib/types';

/** How many notices for this user are open and not confirmed: the 通知 tab's badge. */
export const noticeCount = ref(0);
/** The notices core asks this user to acknowledge now (unconfirmed 特急, reminded). */
export const toAcknowledge = ref<NoticeRow[]>([]);

/** The badge's count of a list: notices for this user, still open, not confirmed. */
export function unconfirmed(rows: readonly NoticeRow[]): number {
  return rows.filter((r) => r.role === 'recipient' && !r.closed && r.mine !== 'confirmed').length;
}

export function setNoticeCount(rows: readonly NoticeRow[]) {
  noticeCount.value = unconfirmed(rows);
}

/** Whether this device's user may send notices (core's answer in AppInfo). */
export function maySendNotices(info: AppInfo | null): boolean {
  return info?.mayNotify ?? false;
}

/** Reloads the badge and the banner; a failure keeps the last ones (not set up yet, say). */
export async function refreshNotices(): Promise<void> {
  const [rows, ack] = await Promise.allSettled([api.notices(), api.noticesToAcknowledge()]);
  if (rows.status === 'fulfilled') setNoticeCount(rows.value);
  if (ack.status === 'fulfilled') toAcknowledge.value = ack.value;
}
