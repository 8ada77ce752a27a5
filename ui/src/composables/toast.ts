// One toast at a time, shown by the app shell with `data-testid="toast"`.
import { ref } from 'vue';

export const toastMessage = ref<string | null>(null);
export const toastKind = ref<'success' | 'fail'>('success');
let timer: ReturnType<typeof setTimeout> | null = null;

export function showToast(message: string, kind: 'success' | 'fail' = 'success', ms = 3000) {
  toastMessage.value = message;
  toastKind.value = kind;
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    toastMessage.value = null;
    timer = null;
  }, ms);
}

/** Hides the toast (a new action starts: an old success must not be read as its result). */
export function hideToast() {
  toastMessage.value = null;
  if (timer) clearTimeout(timer);
  timer = null;
}
