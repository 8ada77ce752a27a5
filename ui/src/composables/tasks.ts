// How many events wait for this device's party: the badge on the 待办 tab. Refreshed at
// start, after each sync round and whenever the to-do list loads.
import { ref } from 'vue';
import { api } from '@/lib/api';

export const taskCount = ref(0);

export function setTaskCount(n: number) {
  taskCount.value = n;
}

/** Reloads the count; a failure keeps the last one (the list itself shows the error). */
export async function refreshTaskCount(): Promise<void> {
  try {
    setTaskCount((await api.myTasks()).length);
  } catch {
    // Not set up yet, or the store is busy: keep the last count.
  }
}
