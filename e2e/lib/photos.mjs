// Real camera-sized JPEGs (3000×4000, plasma plus noise, ≈ 2.5 MB) made with ImageMagick.

import { join } from 'node:path';
import { run } from './procs.mjs';

export function makePhoto(dir, name, seed, colours = 'orange-teal') {
  const file = join(dir, name);
  run(
    'convert',
    ['-size', '3000x4000', '-seed', String(seed), `plasma:${colours}`, '-attenuate', '0.3', '+noise', 'Gaussian', '-quality', '88', file],
    { timeoutMs: 60_000 },
  );
  return file;
}
