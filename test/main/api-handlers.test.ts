// The API handlers check every argument the page sends before the service sees it: member ids,
// the drill request's fields and bounds, and the number of arguments; valid calls reach the service
// as sent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApiHandlers, type ApiCallHandlers, type ApiService } from '../../src/main/api-handlers.ts';
import type { ClusterUpdate, DrillRequest, DrillSummary } from '../../src/shared/api.ts';

const SUMMARY: DrillSummary = {
  scenario: 'kill-leader',
  startedAt: '2025-01-01T00:00:00.000Z',
  durationMs: 9000,
  faultMs: 1000,
  rounds: [],
  ops: { ok: 10, failed: 0, unknown: 0 },
  verdict: 'linearizable',
  lostWrites: 0,
  unavailability: null,
  historyFile: '/d/drills/x.jsonl',
  reportFiles: { json: '/d/drills/x.report.json', html: '/d/drills/x.report.html' },
  anomalyCount: 0,
  anomalies: [],
};

/** A service that records each call as "method arg". */
function recordingService(): { service: ApiService; calls: string[] } {
  const calls: string[] = [];
  const member = (method: string) => async (id: string) => {
    calls.push(`${method} ${id}`);
  };
  const service: ApiService = {
    clusterSnapshot: async () => ({}) as ClusterUpdate,
    killMember: member('killMember'),
    restartMember: member('restartMember'),
    addMember: async () => {
      calls.push('addMember');
      return { id: 'n4', url: 'ws://127.0.0.1:7004' };
    },
    removeMember: member('removeMember'),
    transferLeader: member('transferLeader'),
    pauseMember: member('pauseMember'),
    partitionMember: member('partitionMember'),
    healAll: async () => {
      calls.push('healAll');
    },
    runDrill: async (request: DrillRequest) => {
      calls.push(`runDrill ${JSON.stringify(request)}`);
      return SUMMARY;
    },
    subscribe: () => () => {},
  };
  return { service, calls };
}

function handlers(): { calls: ApiCallHandlers; made: string[] } {
  const { service, calls } = recordingService();
  return { calls: createApiHandlers(service, () => ({ app: '1', electron: null, node: '20', chrome: null })).calls, made: calls };
}

const MEMBER_METHODS = ['killMember', 'restartMember', 'removeMember', 'transferLeader', 'pauseMember', 'partitionMember'] as const;

describe('API handlers', () => {
  it('pass a valid member id to the service', async () => {
    const { calls, made } = handlers();
    for (const method of MEMBER_METHODS) await calls[method](['n2']);
    assert.deepEqual(made, MEMBER_METHODS.map((method) => `${method} n2`));
  });

  it('refuse a bad member id, a missing one and an extra argument, before the service sees them', async () => {
    const { calls, made } = handlers();
    for (const method of MEMBER_METHODS) {
      await assert.rejects(calls[method](['../n2']), new RegExp(`^Error: ${method}: argument 1 must be a member id: 1 to 32 of a-z, 0-9 and "-"`));
      await assert.rejects(calls[method]([42]), new RegExp(`^Error: ${method}: argument 1 must be a string$`));
      await assert.rejects(calls[method]([]), new RegExp(`^Error: ${method} takes 1 argument, got 0$`));
      await assert.rejects(calls[method](['n2', 'n3']), new RegExp(`^Error: ${method} takes 1 argument, got 2$`));
    }
    assert.deepEqual(made, []);
  });

  it('add a member and heal with no arguments, and refuse any', async () => {
    const { calls, made } = handlers();
    assert.deepEqual(await calls.addMember([]), { id: 'n4', url: 'ws://127.0.0.1:7004' });
    await calls.healAll([]);
    await assert.rejects(calls.addMember(['n4']), /^Error: addMember takes 0 arguments, got 1$/);
    await assert.rejects(calls.healAll([true]), /^Error: healAll takes 0 arguments, got 1$/);
    assert.deepEqual(made, ['addMember', 'healAll']);
  });

  it('run a drill with a valid request, with or without faultMs', async () => {
    const { calls, made } = handlers();
    assert.deepEqual(await calls.runDrill([{ scenario: 'kill-leader', rounds: 1 }]), SUMMARY);
    await calls.runDrill([{ scenario: 'sequence', rounds: 10, faultMs: 500 }]);
    assert.deepEqual(made, ['runDrill {"scenario":"kill-leader","rounds":1}', 'runDrill {"scenario":"sequence","rounds":10,"faultMs":500}']);
  });

  it('refuse a bad drill request, saying which field is wrong and what it must be', async () => {
    const { calls, made } = handlers();
    const refusals: [unknown[], RegExp][] = [
      [[{ scenario: 'kill-everyone', rounds: 1 }], /argument 1 scenario must be one of kill-leader, partition-leader, pause-leader, sequence$/],
      [[{ rounds: 1 }], /argument 1 scenario must be one of/],
      [[{ scenario: 'kill-leader', rounds: 0 }], /argument 1 rounds must be a whole number from 1 to 10$/],
      [[{ scenario: 'kill-leader', rounds: 11 }], /rounds must be a whole number from 1 to 10$/],
      [[{ scenario: 'kill-leader', rounds: 1.5 }], /rounds must be a whole number from 1 to 10$/],
      [[{ scenario: 'kill-leader', rounds: '2' }], /rounds must be a whole number from 1 to 10$/],
      [[{ scenario: 'kill-leader', rounds: 1, faultMs: 100 }], /faultMs must be a whole number from 500 to 60000$/],
      [[{ scenario: 'kill-leader', rounds: 1, faultMs: null }], /faultMs must be a whole number from 500 to 60000$/],
      [[{ scenario: 'kill-leader', rounds: 1, clients: 64 }], /argument 1 has no field clients: it takes scenario, rounds and faultMs$/],
      [['kill-leader'], /argument 1 must be an object \{scenario, rounds, faultMs\?\}$/],
      [[null], /argument 1 must be an object/],
      [[], /^Error: runDrill takes 1 argument, got 0$/],
    ];
    for (const [args, expected] of refusals) {
      await assert.rejects(calls.runDrill(args), (error: Error) => {
        assert.match(String(error), expected, JSON.stringify(args));
        assert.match(error.message, /^runDrill/);
        return true;
      });
    }
    assert.deepEqual(made, []);
  });
});
