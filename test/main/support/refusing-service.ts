// An ApiService for tests that serve only a few calls: every call fails, naming itself, and
// subscribe pushes nothing, until the test assigns its own versions over them.
import type { ApiService } from '../../../src/main/api-handlers.ts';
import { API_CALL_METHODS } from '../../../src/shared/api.ts';

export function refusingService(): ApiService {
  const calls = API_CALL_METHODS.filter((method) => method !== 'appVersion').map((method) => [
    method,
    async (): Promise<never> => {
      throw new Error(`${method} is not served in this test`);
    },
  ]);
  return { ...Object.fromEntries(calls), subscribe: () => () => {} } as ApiService;
}
