// Every code the Rust side can put in front of the member has Chinese text. The codes are
// Rust's `ErrorCode` enum (wangge-schema), exported by `cargo test -p wangge-app
// export_bindings` as a type and as a list: `zh.errors` is typed `Record<ErrorCode, string>`
// (a missing or stale entry fails `vue-tsc`), and this walks the generated list at runtime.
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, PHOTO_STAGES } from '@/bindings/codes';
import { errorText, zh } from '@/i18n/zh-CN';

const chinese = /[\u4e00-\u9fff]/;

describe('Chinese for every code', () => {
  it('has a Chinese sentence for every error code Rust can send, and no other', () => {
    expect(ERROR_CODES.length).toBeGreaterThan(60);
    for (const code of ERROR_CODES) expect(errorText(code), code).toMatch(chinese);
    expect(ERROR_CODES.filter((c) => !(c in zh.errors))).toEqual([]);
    expect(Object.keys(zh.errors).filter((c) => !(ERROR_CODES as readonly string[]).includes(c))).toEqual([]);
  });

  it('names every photo pipeline stage', () => {
    expect(PHOTO_STAGES.filter((s) => !chinese.test(zh.photoStage[s] ?? ''))).toEqual([]);
  });

  it('shows a code this build does not know as the generic sentence, never as English', () => {
    const fromNewerRelay = 'some_new_code' as Parameters<typeof errorText>[0];
    expect(errorText(fromNewerRelay)).toBe(zh.errors.unknown);
  });
});
