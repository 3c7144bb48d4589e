// The text of `raftctl --help` and `raftctl CMD --help`.
import { flagValueName, type FlagName } from './args.ts';
import type { Command } from './command.ts';

const ADDRESSING_HELP: [string, string][] = [
  ['--endpoints URL,...', 'the members\' URLs: ws://HOST:PORT or wss://HOST:PORT (one is enough)'],
  ['--token-file FILE', 'the cluster\'s shared token (with --endpoints)'],
  ['--ca-file FILE', 'PEM CA that signed the nodes\' certificates (wss://)'],
  ['--cert-file FILE', 'PEM client certificate (with --key-file)'],
  ['--key-file FILE', 'PEM key of the client certificate'],
  ['--dir DIR', 'instead of --endpoints: a hosted cluster\'s folder (cluster.json + token)'],
  ['--timeout-ms MS', 'bound on each request, 100 to 600000 (default 5000)'],
];

const COMMON_HELP: [string, string][] = [
  ['--json', 'print the result as JSON on stdout (progress stays on stderr)'],
  ['--help, -h', 'show help'],
];

export function overview(commands: readonly Command[]): string {
  return [
    'raftctl: control a Raft Manager cluster from the command line',
    '',
    'Usage: raftctl COMMAND [OPERANDS] [FLAGS]',
    '',
    'Commands:',
    ...columns(commands.map((c) => [usageOf(c), c.summary])),
    '',
    'Reaching a cluster (every command except check and cluster up):',
    ...columns(ADDRESSING_HELP),
    '',
    'Every command:',
    ...columns(COMMON_HELP),
    '',
    'Output is a table or lines for people; --json prints one JSON document. Long operations write',
    'progress lines on stderr. Exit status: 0 success; 1 the operation failed or found a problem;',
    '2 bad arguments, bad input or an unknown outcome. Errors are one line on stderr',
    '(RAFTCTL_DEBUG=1 adds the stack trace).',
    '',
    'Examples:',
    '  raftctl cluster up --nodes 3 --dir ./demo',
    '  raftctl --dir ./demo status',
    '  raftctl --endpoints ws://127.0.0.1:7001 --token-file token put greeting hello',
    '  raftctl --dir ./demo drill failover --rounds 3 --report drill.json',
    '',
    'Run raftctl COMMAND --help for a command\'s flags.',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const own = Object.entries(command.flags ?? {}).map(([name, help]): [string, string] => [flagUsage(name as FlagName), help as string]);
  const lines = [`Usage: raftctl ${usageOf(command)}${command.reachesCluster ? ' (--endpoints URL,... | --dir DIR)' : ''} [FLAGS]`, '', command.summary];
  if (command.details) lines.push('', ...command.details);
  if (command.passThrough) lines.push('', `After a lone "--": ${command.passThrough}`);
  if (own.length > 0) lines.push('', 'Flags:', ...columns(own));
  if (command.reachesCluster) lines.push('', 'Reaching the cluster:', ...columns(ADDRESSING_HELP));
  lines.push('', 'Every command:', ...columns(COMMON_HELP));
  return lines.join('\n');
}

/** `raftctl member --help`: the commands of a group. */
export function groupHelp(group: string, commands: readonly Command[]): string {
  return [`Usage: raftctl ${group} SUBCOMMAND ...`, '', ...columns(commands.map((c) => [usageOf(c), c.summary])), '', `Run raftctl ${group} SUBCOMMAND --help for its flags.`].join('\n');
}

export function usageOf(command: Command): string {
  return [command.name, command.operands, ...(command.requiredFlags ?? []).map(flagUsage)].filter((part) => part !== '').join(' ');
}

function flagUsage(name: FlagName): string {
  const value = flagValueName(name);
  return value === undefined ? `--${name}` : `--${name} ${value}`;
}

function columns(rows: readonly [string, string][]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}
