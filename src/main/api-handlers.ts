// The RaftManagerApi as the main process serves it, to IPC (ipc.ts) and to web mode
// (web-api-socket.ts) alike: one handler per call, which validates the arguments the page sent,
// and the subscription to pushed updates.
import { isAbsolute } from 'node:path';
import * as z from 'zod';
import {
  DRILL_FAULT_MS,
  MAX_DRILL_ROUNDS,
  MAX_REMOTE_URLS,
  type ApiCallMethod,
  type ApiResult,
  type AppVersion,
  type DrillRequest,
  type NewMember,
  type RaftManagerApi,
  type RemoteClusterRequest,
} from '../shared/api.ts';
import { DRILL_SCENARIOS } from '../shared/drill.ts';
import { MEMBER_ID_PATTERN, memberIdSchema } from '../shared/protocol/fields.ts';
import type { AppService } from './app-service.ts';
import { memberBaseUrl } from './connection/endpoint.ts';
import { PROFILE_NAME_PATTERN } from './profiles.ts';

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

/** A member URL as memberBaseUrl reads it (any path dropped), refused with memberBaseUrl's reason. */
const memberUrl = (field: string) =>
  z.string({ error: `${field} must be a string` }).transform((text, ctx) => {
    try {
      return memberBaseUrl(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `${field}: ${(error as Error).message}` });
      return z.NEVER;
    }
  });

const absolutePath = (field: string) =>
  z
    .string({ error: `${field} must be a path` })
    .min(1, `${field} must not be empty`)
    .max(4096, `${field} must be at most 4096 characters`)
    .refine((path) => isAbsolute(path), `${field} must be an absolute path`);

/** `prefix` names the field ("saveAs "), or is empty for an argument of its own. */
const profileName = (prefix: string) =>
  z
    .string({ error: `${prefix}must be a profile name` })
    .regex(PROFILE_NAME_PATTERN, `${prefix}must be a profile name: 1 to 64 of A-Z, a-z, 0-9, ".", "_" and "-", starting with a letter or digit`);

const remoteClusterSchema = z.strictObject(
  {
    urls: z
      .array(memberUrl('urls'), { error: 'urls must be a list of ws:// or wss:// URLs' })
      .min(1, 'urls must name at least one member')
      .max(MAX_REMOTE_URLS, `urls must name at most ${MAX_REMOTE_URLS} members`),
    tokenFile: absolutePath('tokenFile').optional(),
    caFile: absolutePath('caFile').optional(),
    saveAs: profileName('saveAs ').optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `has no field ${issue.keys.join(', ')}: it takes urls, tokenFile, caFile and saveAs`
        : 'must be an object {urls, tokenFile?, caFile?, saveAs?}',
  },
) satisfies z.ZodType<RemoteClusterRequest, unknown>;

const newMemberSchema = z.strictObject(
  {
    id: z.string({ error: 'id must be a member id' }).regex(MEMBER_ID_PATTERN, 'id must be a member id: 1 to 32 of a-z, 0-9 and "-", not starting with "-"'),
    url: memberUrl('url'),
  },
  {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `has no field ${issue.keys.join(', ')}: it takes id and url` : 'must be an object {id, url}'),
  },
) satisfies z.ZodType<NewMember, unknown>;

/** What the handlers use of the AppService. */
export type ApiService = Pick<
  AppService,
  | 'clusterSnapshot'
  | 'connectRemote'
  | 'hostLocal'
  | 'listProfiles'
  | 'deleteProfile'
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
      connectRemote: async (args) => {
        const [request] = parseArgs('connectRemote', z.tuple([remoteClusterSchema]), args);
        await service.connectRemote(request);
      },
      hostLocal: async (args) => {
        parseArgs('hostLocal', noArgs, args);
        await service.hostLocal();
      },
      listProfiles: async (args) => {
        parseArgs('listProfiles', noArgs, args);
        return service.listProfiles();
      },
      deleteProfile: async (args) => {
        const [name] = parseArgs('deleteProfile', z.tuple([profileName('')]), args);
        await service.deleteProfile(name);
      },
      killMember: onMember('killMember', (id) => service.killMember(id)),
      restartMember: onMember('restartMember', (id) => service.restartMember(id)),
      // Hosted clusters: no argument (the app starts the member). Remote ones: the member to add.
      addMember: async (args) => {
        if (args.length === 0) return service.addMember();
        if (args.length > 1) throw new Error(`addMember takes 0 or 1 arguments, got ${args.length}`);
        const [member] = parseArgs('addMember', z.tuple([newMemberSchema]), args);
        return service.addMember(member);
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
