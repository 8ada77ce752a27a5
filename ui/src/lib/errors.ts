import type { AppError, ErrorCode, FieldError } from './types';
import { errorText } from '@/i18n/zh-CN';
import { REFUSAL_TEXT } from '@/bindings/codes';

/** Normalises whatever a rejected `invoke` gave into `AppError`. */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as AppError).code === 'string') {
    return e as AppError;
  }
  return { code: 'unknown', message: String(e) };
}

/** The Chinese sentence for a failed call: why a step was refused, when it was one. */
export function errorMessage(e: unknown): string {
  const err = toAppError(e);
  if (err.refusal) return REFUSAL_TEXT[err.refusal] ?? errorText(err.code);
  return errorText(err.code);
}

/** Field errors as `field → code` (the first error per field wins). */
export function byField(errors: readonly FieldError[] | null | undefined): Record<string, ErrorCode> {
  const out: Record<string, ErrorCode> = {};
  for (const e of errors ?? []) {
    if (!(e.field in out)) out[e.field] = e.code;
  }
  return out;
}
