// No orphans: while a hosted cluster runs, the host's own end takes its nodes with it. On SIGINT or
// SIGTERM the clusters stop cleanly (bounded), then the host exits; on any exit, whatever still
// runs is killed at once (an exit handler cannot wait).

export interface HostedProcesses {
  /** Stops every node cleanly. */
  stop(): Promise<void>;
  /** SIGKILLs every node, synchronously. */
  killNow(): void;
}

const registered = new Set<HostedProcesses>();
const STOP_BOUND_MS = 10_000;
let stopping = false;

/** Ties `processes` to the host's life until the returned function is called. */
export function stopOnHostExit(processes: HostedProcesses): () => void {
  if (registered.size === 0) install();
  registered.add(processes);
  return () => {
    registered.delete(processes);
    if (registered.size === 0) uninstall();
  };
}

function install(): void {
  process.on('exit', killAll);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function uninstall(): void {
  process.off('exit', killAll);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

function killAll(): void {
  for (const processes of registered) processes.killNow();
}

function onSignal(signal: NodeJS.Signals): void {
  const exitCode = 128 + (signal === 'SIGINT' ? 2 : 15);
  // A second signal while stopping: do not wait any longer (the exit handler kills the rest).
  if (stopping) process.exit(exitCode);
  stopping = true;
  const bound = new Promise((resolve) => setTimeout(resolve, STOP_BOUND_MS).unref());
  void Promise.race([Promise.allSettled([...registered].map((processes) => processes.stop())), bound]).then(() => process.exit(exitCode));
}
