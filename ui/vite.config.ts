import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath, URL } from 'node:url';
import type { Plugin } from 'vite';

// Vant's icon font ships inline (woff2 data: URL) with a CDN woff fallback; the app never
// loads anything from the network, so the fallback is dropped.
function noRemoteFonts(): Plugin {
  return {
    name: 'wangge-no-remote-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('vant') || !id.endsWith('.css')) return null;
      return { code: code.replace(/,\s*url\((?:https?:)?\/\/[^)]*\)\s*format\("woff"\)/g, ''), map: null };
    },
  };
}

// Served from Tauri's custom protocol: relative asset paths, no inline scripts.
export default defineConfig({
  base: './',
  plugins: [noRemoteFonts(), vue()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    // Never inline assets as data: URLs for scripts; keep everything as files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup-mocks.ts'],
  },
});
