// Builds the three parts of the desktop app into out/: main (ESM), preload (one CommonJS file)
// and renderer (Vue, from src/renderer).
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY } from './src/main/content-security-policy.ts';

/** Adds the policy to index.html as a <meta> tag, so that it holds wherever the page is served from. */
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'raft-manager:content-security-policy',
    transformIndexHtml(_html, context) {
      // The dev server injects component styles as <style> elements; a build emits CSS files.
      const policy = context.server
        ? CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        : CONTENT_SECURITY_POLICY;
      return [
        { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy }, injectTo: 'head-prepend' },
      ];
    },
  };
}

export default defineConfig({
  main: {},
  preload: {
    build: {
      // A sandboxed preload cannot load other files: it must be one CommonJS file with everything
      // but `electron` bundled in.
      externalizeDeps: false,
      rolldownOptions: { output: { format: 'cjs' } },
    },
  },
  renderer: {
    resolve: { alias: { '@shared': fileURLToPath(new URL('./src/shared', import.meta.url)) } },
    plugins: [vue(), contentSecurityPolicyMeta()],
  },
});
