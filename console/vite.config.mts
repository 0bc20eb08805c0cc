import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The admin console (docs/API.md, "Admin sign-in (SSO) and the console"): built by scripts/build.js into
// dist/console, served by the platform under /console (src/console/console-assets.ts). Every asset is
// bundled (no CDN); file names carry a content hash, so they are served as immutable.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1200,
    sourcemap: false,
  },
  logLevel: 'warn',
});
