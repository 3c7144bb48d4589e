// The app itself: whether it runs in the desktop shell or in a browser, and its versions.
import type { AppVersion } from '@shared/api.ts';
import { defineStore } from 'pinia';
import { ref } from 'vue';

export const useAppStore = defineStore('app', () => {
  // The preload sets window.raftManager in the desktop app; a browser (web mode) has none.
  const api = window.raftManager;
  const shell: 'desktop' | 'web' = api ? 'desktop' : 'web';
  const version = ref<AppVersion | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    if (!api) return;
    try {
      version.value = await api.appVersion();
    } catch (cause) {
      error.value = `Could not read the app version: ${cause instanceof Error ? cause.message : String(cause)}`;
    }
  }

  return { shell, version, error, load };
});
