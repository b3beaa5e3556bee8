/**
 * What the sandbox keeps of its traffic: the stats (calls by method and by second, call starts,
 * concurrency, errors and faults answered, batches) and the last requests as received.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordedRequest, SandboxStats } from './api';
import type { ParsedRequest } from './request';

const MAX_CALL_STARTS = 100_000;

function emptyStats(): SandboxStats {
  return {
    totalCalls: 0,
    callsByMethod: {},
    faultsByKind: {},
    errorsByCode: {},
    callsPerSecond: {},
    maxCallsPerSecond: 0,
    callStarts: [],
    inFlight: 0,
    maxConcurrent: 0,
    batchRequests: 0,
  };
}

export function count(table: Record<string, number>, key: string): void {
  table[key] = (table[key] ?? 0) + 1;
}

export class Traffic {
  stats = emptyStats();
  recorded: RecordedRequest[] = [];

  /** @param recordLimit how many requests are kept */
  constructor(private readonly recordLimit: number) {}

  trackInFlight(res: ServerResponse): void {
    this.stats.inFlight++;
    this.stats.maxConcurrent = Math.max(this.stats.maxConcurrent, this.stats.inFlight);
    res.on('close', () => {
      this.stats.inFlight--;
    });
  }

  record(req: IncomingMessage, url: URL, parsed: ParsedRequest, time: number, body?: string): void {
    this.recorded.push({
      time,
      httpMethod: req.method ?? '',
      path: url.pathname,
      method: parsed.params.method,
      appKey: parsed.params.app_key,
      params: { ...parsed.params },
      queryKeys: parsed.queryKeys,
      files: parsed.files,
      headers: { ...req.headers },
      contentType: req.headers['content-type'],
      ...(body !== undefined ? { body } : {}),
    });
    if (this.recorded.length > this.recordLimit) this.recorded = this.recorded.slice(-this.recordLimit);
  }

  countCallStart(method: string | undefined, time: number): void {
    const stats = this.stats;
    stats.totalCalls++;
    count(stats.callsByMethod, method || '(none)');
    const second = String(Math.floor(time / 1000));
    count(stats.callsPerSecond, second);
    stats.maxCallsPerSecond = Math.max(stats.maxCallsPerSecond, stats.callsPerSecond[second]!);
    stats.callStarts.push(time);
    if (stats.callStarts.length > MAX_CALL_STARTS)
      stats.callStarts.splice(0, stats.callStarts.length - MAX_CALL_STARTS);
  }

  /** New stats (the calls in flight carry over) and no recorded request. */
  reset(): void {
    const inFlight = this.stats.inFlight;
    this.stats = emptyStats();
    this.stats.inFlight = inFlight;
    this.recorded = [];
  }
}
