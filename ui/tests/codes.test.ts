// Every code the Rust side can put in front of the member has Chinese text: the codes are
// read from the Rust sources themselves, so a new code in core fails this test until
// zh-CN.ts has it.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { zh } from '@/i18n/zh-CN';

const repo = resolve(__dirname, '../..');

function rustFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? rustFiles(p) : p.endsWith('.rs') ? [p] : [];
  });
}

/** Source without its unit tests (test-only strings are not codes the UI sees). */
function source(path: string): string {
  return readFileSync(path, 'utf8').split('#[cfg(test)]')[0] ?? '';
}

function collect(files: string[], patterns: RegExp[]): Set<string> {
  const out = new Set<string>();
  for (const f of files) {
    const src = source(f);
    for (const re of patterns) for (const m of src.matchAll(re)) out.add(m[1] ?? 'required_field');
  }
  return out;
}

describe('Chinese for every code', () => {
  it('covers the validation codes of core (FieldError)', () => {
    const codes = collect(rustFiles(join(repo, 'crates/core/src')), [
      /FieldError::new\(\s*"[a-z_]+",\s*"([a-z_]+)"/g,
      /FieldError::required\(/g,
      /\berr\(\s*"([a-z_]+)",/g,
    ]);
    expect(codes.size).toBeGreaterThan(15);
    const missing = [...codes].filter((c) => !zh.errors[c]);
    expect(missing).toEqual([]);
  });

  it('covers the error codes of core, the photo pipeline and the app shell', () => {
    const codes = collect(
      [join(repo, 'crates/core/src/error.rs'), join(repo, 'crates/media/src/error.rs')],
      [/=>\s*"([a-z_]+)",/g],
    );
    for (const c of collect(rustFiles(join(repo, 'src-tauri/src')), [/AppError::new\(\s*"([a-z_]+)"/g])) codes.add(c);
    expect(codes.has('wrong_key') && codes.has('truncated_image') && codes.has('enroll_failed')).toBe(true);
    expect([...codes].filter((c) => !zh.errors[c])).toEqual([]);
  });

  it('covers the sync engine\u2019s failure codes (SyncView.lastError)', () => {
    const codes = collect(
      [join(repo, 'crates/core/src/sync/mod.rs')],
      [/Ended::(?:Connect|Dropped)\("([a-z_]+)"\)/g, /Err\("([a-z_]+)"\)/g, /map_err\(\|_\|\s*"([a-z_]+)"\)/g, /^\s*"([a-z_]+)"\s*$/gm],
    );
    expect(codes.has('unauthorized') && codes.has('link_dropped')).toBe(true);
    expect([...codes].filter((c) => !zh.errors[c])).toEqual([]);
  });

  it('covers the photo progress stages', () => {
    const stages = collect([join(repo, 'src-tauri/src/commands/photos.rs')], [/Stage::\w+\s*=>\s*"([a-z_]+)"/g]);
    expect(stages.size).toBeGreaterThan(4);
    expect([...stages].filter((s) => !zh.photoStage[s])).toEqual([]);
  });

  it('never falls back to English: every entry is Chinese', () => {
    for (const [code, text] of Object.entries(zh.errors)) expect(text, code).toMatch(/[\u4e00-\u9fff]/);
  });
});
