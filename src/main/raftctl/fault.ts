// `fault kill|restart|pause|partition|delay|heal`: inject a fault through FaultInjector. With --dir
// the hosted members are real processes (SIGKILL, SIGSTOP/SIGCONT, restarts); with --endpoints the
// admin ops stand in. A fault with an automatic revert (--revert-after, a pause's --ms) keeps
// raftctl running until the revert is done; Ctrl-C meanwhile heals at once.
import { MAX_PAUSE_MS } from '../../shared/protocol/limits.ts';
import { FaultInjector, type LinkFault, type TimelineEntry } from '../ops/faults.ts';
import { readClusterFile } from '../hosting/cluster-file.ts';
import { isAlive } from '../hosting/node-process.ts';
import { UsageError, type Flags } from './args.ts';
import { CommandError, type Command, type CommandContext, type ExitCode } from './command.ts';
import type { ClusterAccess } from './cluster-access.ts';
import { watchInterrupt } from './interrupt.ts';
import { memberId } from './membership.ts';
import type { Output } from './output.ts';

const MAX_REVERT_AFTER_MS = 24 * 60 * 60 * 1000;
/** A revert that restarts a member waits for its health check, which is bounded by 20 s. */
const REVERT_SLACK_MS = 30_000;

const REVERT_AFTER_HELP = 'undo the fault after MS milliseconds; raftctl waits for it (Ctrl-C undoes it at once)';
const HOSTED_NOTE = 'With --dir the members are adopted as processes; any member not running is started first.';

export const faultKillCommand: Command = {
  name: 'fault kill',
  operands: 'ID',
  operandCount: [1, 1],
  summary: 'kill member ID (SIGKILL with --dir, the crash op otherwise)',
  details: ['--revert-after restarts it, which needs --dir (a remote member cannot be restarted from here).', HOSTED_NOTE],
  flags: { 'revert-after': REVERT_AFTER_HELP },
  reachesCluster: true,
  run: (context) =>
    inject(context, { hosted: true, fault: 'kill', targets: [memberId(context.operands[0])] }, (injector, [id], revertAfterMs) =>
      injector.kill(id, { revertAfterMs }),
    ),
};

export const faultRestartCommand: Command = {
  name: 'fault restart',
  operands: 'ID',
  operandCount: [1, 1],
  summary: 'stop member ID cleanly (if it runs) and start it again; needs --dir',
  details: [HOSTED_NOTE],
  reachesCluster: true,
  async run(context) {
    if (!context.flags.has('dir')) throw new UsageError('only a hosted cluster\'s members can be restarted: address it with --dir DIR');
    return inject(context, { hosted: true, fault: 'restart', targets: [memberId(context.operands[0])] }, (injector, [id]) => injector.restart(id));
  },
};

export const faultPauseCommand: Command = {
  name: 'fault pause',
  operands: 'ID',
  operandCount: [1, 1],
  summary: 'freeze member ID for N ms (SIGSTOP with --dir, the pause op otherwise)',
  details: ['raftctl waits until the member resumes.', HOSTED_NOTE],
  flags: { ms: `how long, 1 to ${MAX_PAUSE_MS} ms` },
  requiredFlags: ['ms'],
  reachesCluster: true,
  async run(context) {
    const ms = context.flags.int('ms', { min: 1, max: MAX_PAUSE_MS });
    return inject(context, { hosted: true, fault: 'pause', targets: [memberId(context.operands[0])], revertsAfterMs: ms }, (injector, [id]) =>
      injector.pause(id, { ms }),
    );
  },
};

export const faultPartitionCommand: Command = {
  name: 'fault partition',
  operands: 'ID[,ID...]',
  operandCount: [1, 1],
  summary: 'cut every link between these members and the rest, both ways',
  flags: { 'revert-after': REVERT_AFTER_HELP },
  reachesCluster: true,
  run: (context) =>
    inject(context, { hosted: false, fault: 'partition', targets: idList(context.operands[0]) }, (injector, ids, revertAfterMs) =>
      injector.partition(ids, { revertAfterMs }),
    ),
};

export const faultDelayCommand: Command = {
  name: 'fault delay',
  operands: 'ID[,ID...]',
  operandCount: [1, 1],
  summary: 'delay (and/or lose) the messages these members send',
  details: ['Give at least one of --delay-ms, --jitter-ms, --loss.'],
  flags: {
    'delay-ms': 'added delay per message, 0 to 60000 ms',
    'jitter-ms': 'random extra delay per message, 0 to 60000 ms',
    loss: 'share of messages dropped, 0 to 1',
    'revert-after': REVERT_AFTER_HELP,
  },
  reachesCluster: true,
  async run(context) {
    const link = linkFault(context.flags);
    return inject(context, { hosted: false, fault: 'delay', targets: idList(context.operands[0]) }, (injector, ids, revertAfterMs) =>
      injector.delay(ids, link, { revertAfterMs }),
    );
  },
};

export const faultHealCommand: Command = {
  name: 'fault heal',
  operands: '',
  operandCount: [0, 0],
  summary: 'undo every fault: clear message faults, resume paused and start stopped members',
  details: ['Resuming and starting members needs --dir; with --endpoints it clears the message faults only.'],
  reachesCluster: true,
  async run({ cluster, out }) {
    const access = await cluster();
    const notRunning = access.dir === undefined ? [] : await membersNotRunning(access.dir);
    const host = await access.host();
    const injector = new FaultInjector(await access.connect(), { host });
    try {
      await injector.heal();
    } finally {
      injector.close();
    }
    const entry = injector.timeline.entries().find((e) => e.kind === 'heal');
    const detail = { started: notRunning, ...entry?.detail };
    if (out.json) out.data({ fault: 'heal', ...detail, timeline: injector.timeline.entries() });
    else {
      if (notRunning.length > 0) out.line(`started ${notRunning.join(', ')}`);
      const resumed = (entry?.detail?.resumed as string[] | undefined) ?? [];
      if (resumed.length > 0) out.line(`resumed ${resumed.join(', ')}`);
      out.line(`cleared message faults on ${entry?.target?.join(', ') || 'no member'}`);
    }
    const unreached = entry?.detail?.unreached as string[] | undefined;
    if (unreached && unreached.length > 0) throw new CommandError(`could not reach ${unreached.join(', ')} to clear its faults`);
    return 0;
  },
};

interface FaultPlan {
  /** With --dir, adopt the hosted processes (for signals and restarts). */
  hosted: boolean;
  fault: string;
  targets: string[];
  /** The fault undoes itself after this long (a pause). */
  revertsAfterMs?: number;
}

/**
 * Injects one fault and reports it; when it reverts (--revert-after, or a pause), waits for the
 * revert. The injector's revert timers die with raftctl, so it must stay until then.
 */
async function inject(
  { flags, cluster, out }: CommandContext,
  plan: FaultPlan,
  apply: (injector: FaultInjector, targets: string[], revertAfterMs: number | undefined) => Promise<void>,
): Promise<ExitCode> {
  const revertAfterMs = flags.has('revert-after') ? flags.int('revert-after', { min: 1, max: MAX_REVERT_AFTER_MS }) : undefined;
  const access = await cluster();
  const host = plan.hosted ? await access.host() : undefined;
  const injector = new FaultInjector(await access.connect(), { host });
  try {
    const revertsAfterMs = revertAfterMs ?? plan.revertsAfterMs;
    const revert = revertsAfterMs === undefined ? undefined : { afterMs: revertsAfterMs, done: nextRevert(injector) };
    let partial: unknown;
    try {
      await apply(injector, plan.targets, revertAfterMs);
    } catch (error) {
      // Some member was not reached: the fault is in force on the others and its revert is armed.
      if (!revert || !injector.timeline.entries().some((entry) => entry.kind === 'fault')) throw error;
      partial = error;
    }
    const done = partial === undefined ? 'done' : 'done in part';
    out.progress(`${plan.fault} ${plan.targets.join(', ')}: ${done}${revert ? `; undoing it in ${revert.afterMs} ms` : ''}`);
    if (revert) await untilReverted(injector, revert, out);
    if (partial !== undefined) throw partial;
    report(out, plan, access, injector.timeline.entries());
    return 0;
  } finally {
    injector.close();
  }
}

function report(out: Output, plan: FaultPlan, access: ClusterAccess, timeline: TimelineEntry[]): void {
  if (out.json) {
    out.data({ fault: plan.fault, targets: plan.targets, hosted: plan.hosted && access.dir !== undefined, timeline });
    return;
  }
  for (const entry of timeline) {
    const detail = entry.detail && Object.keys(entry.detail).length > 0 ? ` ${JSON.stringify(entry.detail)}` : '';
    out.line(`${new Date(entry.at).toISOString()}  ${entry.kind}  ${entry.action} ${entry.target?.join(', ') ?? ''}${detail}`);
  }
}

/** The next revert on the timeline, or the reason it failed. */
function nextRevert(injector: FaultInjector): Promise<TimelineEntry> {
  return new Promise((resolve) => {
    const stop = injector.timeline.onEntry((entry) => {
      if (entry.kind !== 'revert' && entry.action !== 'revert-failed') return;
      stop();
      resolve(entry);
    });
  });
}

/** Waits for the revert (bounded); Ctrl-C heals at once instead. */
async function untilReverted(injector: FaultInjector, revert: { afterMs: number; done: Promise<TimelineEntry> }, out: Output): Promise<void> {
  const { afterMs, done } = revert;
  const interrupt = watchInterrupt();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), afterMs + REVERT_SLACK_MS)));
  try {
    const outcome = await Promise.race([done, interrupt.signalled, timedOut]);
    if (outcome === 'interrupted') {
      out.progress('interrupted: undoing every fault now');
      await injector.heal();
      throw new CommandError('interrupted; the faults were healed', 130);
    }
    if (outcome === 'timeout') throw new CommandError(`the fault was not undone within ${afterMs + REVERT_SLACK_MS} ms; run raftctl fault heal`);
    if (outcome.action === 'revert-failed') throw new CommandError(`undoing the fault failed: ${String(outcome.detail?.error)}; run raftctl fault heal`);
    out.progress(`${outcome.action} ${outcome.target?.join(', ') ?? ''}: done`);
  } finally {
    clearTimeout(timer);
    interrupt.stop();
  }
}

function linkFault(flags: Flags): LinkFault {
  const delayMs = flags.number('delay-ms', { min: 0, max: 60_000 });
  const jitterMs = flags.number('jitter-ms', { min: 0, max: 60_000 });
  const lossRate = flags.number('loss', { min: 0, max: 1 });
  if (delayMs === undefined && jitterMs === undefined && lossRate === undefined) {
    throw new UsageError('give at least one of --delay-ms N, --jitter-ms N, --loss R');
  }
  return {
    ...(delayMs === undefined ? {} : { delayMs }),
    ...(jitterMs === undefined ? {} : { jitterMs }),
    ...(lossRate === undefined ? {} : { lossRate }),
  };
}

function idList(text: string): string[] {
  const ids = text.split(',').filter((id) => id !== '');
  if (ids.length === 0) throw new UsageError('name at least one member: ID[,ID...]');
  return [...new Set(ids.map(memberId))];
}

/** Hosted members with no live process now: opening the folder starts them. */
async function membersNotRunning(dir: string): Promise<string[]> {
  const file = await readClusterFile(dir);
  return file.members.filter((m) => m.pid === null || !isAlive(m.pid)).map((m) => m.id);
}
