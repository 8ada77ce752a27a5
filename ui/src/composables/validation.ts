// Ask core to validate a form as the user types (debounced); never re-code a rule in TS.
// Saving does not validate again: the save's own refusal carries every field problem
// (`AppError.fields`), shown with `showErrors`.
import { onBeforeUnmount, ref, watch, type Ref } from 'vue';
import type { ErrorCode, FieldError } from '@/lib/types';
import { byField } from '@/lib/errors';

export const VALIDATE_DELAY_MS = 150;

export function useCoreValidation<I>(
  input: Ref<I>,
  validate: (input: I) => Promise<FieldError[]>,
  delayMs = VALIDATE_DELAY_MS,
) {
  /** field → error code, for every problem core reports. */
  const all = ref<Record<string, ErrorCode>>({});
  /** Fields the user has changed (errors show for these, or for all after a save attempt). */
  const touched = ref<Set<string>>(new Set());
  const showAll = ref(false);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let seq = 0;

  /** Validates the input as it is now; a result for an input typed over since is dropped. */
  async function run(): Promise<Record<string, ErrorCode>> {
    const mine = ++seq;
    const asked = JSON.stringify(input.value);
    const result = byField(await validate(JSON.parse(asked) as I));
    if (mine === seq && asked === JSON.stringify(input.value)) all.value = result;
    return result;
  }

  function cancel() {
    if (timer) clearTimeout(timer);
    timer = null;
  }

  function schedule() {
    cancel();
    timer = setTimeout(() => {
      timer = null;
      void run().catch(() => undefined);
    }, delayMs);
  }

  watch(input, schedule, { deep: true });
  onBeforeUnmount(cancel);

  /** The user edited `field`: its old message goes until core has judged the new value. */
  function touch(field: string) {
    if (!touched.value.has(field)) touched.value = new Set([...touched.value, field]);
    if (field in all.value) {
      const rest = { ...all.value };
      delete rest[field];
      all.value = rest;
    }
  }

  /** The error code to show beside `field`, if any. */
  function errorOf(field: string): ErrorCode | null {
    const code = all.value[field];
    if (!code) return null;
    return showAll.value || touched.value.has(field) ? code : null;
  }

  /** Shows every field error a save came back with (`AppError.fields`). */
  function showErrors(errors: readonly FieldError[]) {
    cancel();
    seq++; // an answer to an earlier keystroke must not hide these
    showAll.value = true;
    all.value = byField(errors);
  }

  return { all, touched, errorOf, touch, showErrors, run };
}
