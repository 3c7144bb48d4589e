// The RaftManagerApi as the main process serves it, to IPC (ipc.ts) and to web mode
// (web-api-socket.ts) alike: one handler per call, which validates the arguments the page sent,
// and the subscription to pushed updates.
import * as z from 'zod';
import { DRILL_FAULT_MS, MAX_DRILL_ROUNDS, type ApiCallMethod, type ApiResult, type AppVersion, type DrillRequest, type RaftManagerApi } from '../shared/api.ts';
import { DRILL_SCENARIOS } from '../shared/drill.ts';
import { memberIdSchema } from '../shared/protocol/fields.ts';
import type { AppService } from './app-service.ts';

export type ApiCallHandlers = { [M in ApiCallMethod]: (args: readonly unknown[]) => Promise<ApiResult<M>> };

export interface ApiHandlers {
  calls: ApiCallHandlers;
  subscribe: RaftManagerApi['subscribe'];
}

const noArgs = z.tuple([]);
const memberIdArg = z.tuple([memberIdSchema]);

const wholeNumber = (name: string, min: number, max: number) => {
  const message = `${name} must be a whole number from ${min} to ${max}`;
  return z.int({ error: message }).min(min, message).max(max, message);
};

const drillRequestSchema = z.strictObject(
  {
    scenario: z.enum(DRILL_SCENARIOS, { error: `scenario must be one of ${DRILL_SCENARIOS.join(', ')}` }),
    rounds: wholeNumber('rounds', 1, MAX_DRILL_ROUNDS),
    faultMs: wholeNumber('faultMs', DRILL_FAULT_MS.min, DRILL_FAULT_MS.max).optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `has no field ${issue.keys.join(', ')}: it takes scenario, rounds and faultMs`
        : 'must be an object {scenario, rounds, faultMs?}',
  },
) satisfies z.ZodType<DrillRequest>;
const drillRequestArg = z.tuple([drillRequestSchema]);

/** What the handlers use of the AppService. */
export type ApiService = Pick<
  AppService,
  | 'clusterSnapshot'
  | 'killMember'
  | 'restartMember'
  | 'addMember'
  | 'removeMember'
  | 'transferLeader'
  | 'pauseMember'
  | 'partitionMember'
  | 'healAll'
  | 'runDrill'
  | 'subscribe'
>;

export function createApiHandlers(service: ApiService, appVersion: () => AppVersion): ApiHandlers {
  const onMember = (method: ApiCallMethod, act: (id: string) => Promise<void>) => async (args: readonly unknown[]) => {
    const [id] = parseArgs(method, memberIdArg, args);
    await act(id);
  };
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
      killMember: onMember('killMember', (id) => service.killMember(id)),
      restartMember: onMember('restartMember', (id) => service.restartMember(id)),
      addMember: async (args) => {
        parseArgs('addMember', noArgs, args);
        return service.addMember();
      },
      removeMember: onMember('removeMember', (id) => service.removeMember(id)),
      transferLeader: onMember('transferLeader', (id) => service.transferLeader(id)),
      pauseMember: onMember('pauseMember', (id) => service.pauseMember(id)),
      partitionMember: onMember('partitionMember', (id) => service.partitionMember(id)),
      healAll: async (args) => {
        parseArgs('healAll', noArgs, args);
        await service.healAll();
      },
      runDrill: async (args) => {
        const [request] = parseArgs('runDrill', drillRequestArg, args);
        return service.runDrill(request);
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
