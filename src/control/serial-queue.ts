// Runs tasks one at a time, in the order they were queued: the API server's calls, a store's
// changes, the fleet agent's view updates. A task that fails rejects its own promise only; the next
// task still runs (a refused call must not block the calls behind it).

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Queues `task`; it starts once every task queued before it has settled. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Settles (never rejects) once every task queued so far has settled. */
  idle(): Promise<unknown> {
    return this.tail;
  }
}
