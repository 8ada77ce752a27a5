// What the shell says about this device: new / demo / enrolled, the grid, today's date.
import { ref } from 'vue';
import { api } from '@/lib/api';
import type { AppInfo } from '@/lib/types';

export const appInfo = ref<AppInfo | null>(null);

export async function loadAppInfo(): Promise<AppInfo> {
  const info = await api.appInfo();
  appInfo.value = info;
  return info;
}

export function setAppInfo(info: AppInfo) {
  appInfo.value = info;
}
