/**
 * The runs an order sync node asked for, one at a time.
 *
 * Runs never overlap: a run asked for during another waits. A sync asked for while a sync of the
 * same session is already waiting joins it (one run serves both: its inputs are finished together);
 * backfills wait in order. At most `maxQueued` runs wait; a run beyond that is refused.
 */
export interface QueuedRun<Input> {
  kind: 'sync' | 'backfill';
  /** the account (msg.session) the run is for; undefined: the config node's */
  session?: string;
  /** the messages waiting for this run to end */
  inputs: Input[];
}

export interface RunQueueOptions<Run> {
  /** performs one run; a rejection is handed to onError */
  execute(run: Run): Promise<void>;
  /** at most this many runs wait behind the current one; default 10 */
  maxQueued?: number;
  /** a run that could not be queued */
  onRefused(run: Run): void;
  /** execute() rejected (a fault in reporting, not a failed sync): the run's inputs must still end */
  onError(run: Run, err: unknown): void;
}

export class RunQueue<Input, Run extends QueuedRun<Input>> {
  private readonly waiting: Run[] = [];
  private current: Promise<void> | undefined;
  private closed = false;
  private readonly maxQueued: number;

  constructor(private readonly options: RunQueueOptions<Run>) {
    this.maxQueued = options.maxQueued ?? 10;
  }

  /** Whether a run is in progress. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Runs waiting behind the current one. */
  get size(): number {
    return this.waiting.length;
  }

  /** Asks for a run; false when it was refused (queue full or closed: onRefused was told). */
  enqueue(run: Run): boolean {
    if (this.closed) {
      this.options.onRefused(run);
      return false;
    }
    if (run.kind === 'sync') {
      const joined = this.waiting.find((other) => other.kind === 'sync' && other.session === run.session);
      if (joined) {
        joined.inputs.push(...run.inputs);
        return true;
      }
    }
    if (this.waiting.length >= this.maxQueued) {
      this.options.onRefused(run);
      return false;
    }
    this.waiting.push(run);
    this.drain();
    return true;
  }

  /** Stops taking runs; hands back the ones still waiting (their inputs are the caller's to finish). */
  close(): Run[] {
    this.closed = true;
    return this.waiting.splice(0);
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    while (this.current) await this.current;
  }

  private drain(): void {
    if (this.current || this.closed) return;
    const run = this.waiting.shift();
    if (!run) return;
    this.current = this.options
      .execute(run)
      .catch((err: unknown) => this.options.onError(run, err))
      .finally(() => {
        this.current = undefined;
        this.drain();
      });
  }
}
