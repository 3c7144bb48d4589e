// The RaftManagerApi as the main process serves it, to IPC (ipc.ts) and to web mode
// (web-api-socket.ts) alike: one handler per call, which validates the arguments the page sent,
// and the subscription to pushed updates.
import * as z from 'zod';
import type { ApiCallMethod, ApiResult, AppVersion, RaftManagerApi } from '../shared/api.ts';
import { memberIdSchema } from '../shared/protocol/fields.ts';
import type { AppService } from './app-service.ts';

export type ApiCallHandlers = { [M in ApiCallMethod]: (args: readonly unknown[]) => Promise<ApiResult<M>> };

export interface ApiHandlers {
  calls: ApiCallHandlers;
  subscribe: RaftManagerApi['subscribe'];
}

const noArgs = z.tuple([]);
const memberIdArg = z.tuple([memberIdSchema]);

/** What the handlers use of the AppService. */
export type ApiService = Pick<AppService, 'clusterSnapshot' | 'killMember' | 'restartMember' | 'subscribe'>;

export function createApiHandlers(service: ApiService, appVersion: () => AppVersion): ApiHandlers {
  return {
    calls: {
      appVersion: async (args) => {
        parseArgs('appVersion', noArgs, args);
        return appVersion();
      },
      clusterSnapshot: async (args) => {
        parseArgs('clusterSnapshot', noArgs, args);
        return service.clusterSnapshot();
      },
      killMember: async (args) => {
        const [id] = parseArgs('killMember', memberIdArg, args);
        await service.killMember(id);
      },
      restartMember: async (args) => {
        const [id] = parseArgs('restartMember', memberIdArg, args);
        await service.restartMember(id);
      },
    },
    subscribe: (onUpdate) => service.subscribe(onUpdate),
  };
}

function parseArgs<S extends z.ZodTuple>(method: ApiCallMethod, schema: S, args: readonly unknown[]): z.infer<S> {
  const expected = schema.def.items.length;
  if (args.length !== expected) throw new Error(`${method} takes ${expected} argument${expected === 1 ? '' : 's'}, got ${args.length}`);
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`${method}: argument ${Number(issue.path[0]) + 1} ${issue.message}`);
}
