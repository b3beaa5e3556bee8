/** Messages between the benchmark's orchestrator (run.ts) and its child processes. */

export interface SandboxReady {
  type: 'ready';
  url: string;
}

export interface SandboxCount {
  type: 'count';
  /** calls answered since the last reset */
  totalCalls: number;
  /** error_response codes answered since the last reset, by code */
  errorsByCode: Record<string, number>;
  /** CPU time of the sandbox process since the last reset, microseconds */
  cpuMicros: number;
}

export type SandboxCommand = { type: 'reset' } | { type: 'count' } | { type: 'close' };

/** One measured cell: `calls` calls with `concurrency` outstanding. */
export interface CellCommand {
  type: 'cell';
  concurrency: number;
  calls: number;
}

export interface CellResult {
  type: 'cell';
  ok: number;
  errors: number;
  firstError?: string;
  ms: number;
  /** ok calls per second */
  perSecond: number;
  /** CPU time of the contender's process over the cell, microseconds per call */
  cpuMicrosPerCall: number;
}

export type WorkerCommand = CellCommand | { type: 'run' } | { type: 'close' };

export interface WorkerReady {
  type: 'ready';
}

export interface WorkerFailure {
  type: 'failed';
  message: string;
}

export interface RunResult<T> {
  type: 'result';
  result: T;
}
