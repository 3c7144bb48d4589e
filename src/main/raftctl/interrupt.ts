// Ctrl-C during a command that leaves faults behind (a fault waiting for its revert, a drill): the
// command catches it to heal the cluster before it ends, instead of dying with faults in force.

export interface Interrupt {
  /** Resolves on the first SIGINT after the call. */
  readonly signalled: Promise<'interrupted'>;
  /** Stops listening (the default Ctrl-C applies again). */
  stop(): void;
}

export function watchInterrupt(): Interrupt {
  let listener: (() => void) | undefined;
  const signalled = new Promise<'interrupted'>((resolve) => {
    listener = () => resolve('interrupted');
    process.once('SIGINT', listener);
  });
  return {
    signalled,
    stop: () => {
      if (listener) process.off('SIGINT', listener);
    },
  };
}
