import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Cross-origin isolation (COOP + COEP) unlocks SharedArrayBuffer, hence the threads tier.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the built page works from any folder or static server.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The kernel is ~2.6 KB: inlined as a data: URL it would be re-encoded in base64 inside the JS.
    assetsInlineLimit: 0,
  },
  // Module workers: the job worker starts the pool's workers and shares chunks with the page.
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
});
