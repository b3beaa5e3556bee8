/**
 * The status texts of a tbk-order-sync node, in Node-RED's language (tbk-order-sync.status.* of its
 * catalogue): idle (when it runs, where its checkpoint is), a run's progress (syncing, throttled, a gap,
 * a checkpoint started afresh), its end (synced, a gap, failed) and standby behind another instance.
 */
import type { NodeAPI, NodeStatus } from 'node-red';
import type { RunReport, SyncStatus } from '../lib/sync';
import type { TopError } from '../lib/top/errors';
import { formatGmt8 } from '../lib/top/time';
import type { CheckpointKind } from './order-sync-checkpoint';
import { localMessage, nodeSetNamespace, statusText } from './runtime-text';
import { localLimitStatus } from './status';

/** This node's own catalogue (status texts). */
const NAMESPACE = nodeSetNamespace('tbk-order-sync');

const hhmm = (ms: number): string => formatGmt8(ms).slice(11, 16);

/** What the status of a node between runs depends on. */
export interface IdleState {
  /** the config node keeps the rate limit locally (Redis unreachable) */
  localFallback: boolean;
  /** another instance holds the lease */
  standby: boolean;
  intervalMinutes: number;
  /** where the checkpoint of the config's account is, once found */
  checkpointKind: CheckpointKind | undefined;
}

export class OrderSyncStatusTexts {
  constructor(private readonly RED: NodeAPI) {}

  private text(key: string, fallback: string, substitutions: Record<string, unknown> = {}): string {
    return statusText(this.RED, `${NAMESPACE}:tbk-order-sync.status.${key}`, fallback, substitutions);
  }

  idle(state: IdleState): NodeStatus {
    if (state.localFallback) return localLimitStatus(this.RED);
    if (state.standby) return this.standby();
    const minutes = state.intervalMinutes;
    const when =
      minutes > 0 ? this.text('every', `every ${minutes} min`, { minutes }) : this.text('onInput', 'runs on input');
    const kind = state.checkpointKind;
    const text = kind ? `${when} · ${this.text(`checkpoint.${kind}`, kind === 'redis' ? 'Redis' : kind)}` : when;
    return { fill: 'grey', shape: 'ring', text };
  }

  standby(): NodeStatus {
    return { fill: 'grey', shape: 'dot', text: this.text('standby', 'standby: another instance syncs') };
  }

  /** A run has begun. */
  starting(): NodeStatus {
    return { fill: 'blue', shape: 'dot', text: this.text('starting', 'syncing…') };
  }

  gap(start: number, end: number, reason: string): NodeStatus {
    return {
      fill: 'red',
      shape: 'ring',
      text: this.text('gap', `gap ${hhmm(start)}-${hhmm(end)}: ${reason}`, {
        start: hhmm(start),
        end: hhmm(end),
        reason,
      }),
    };
  }

  /** What a run's progress shows; undefined for a phase that changes nothing. */
  progress(status: SyncStatus): NodeStatus | undefined {
    switch (status.phase) {
      case 'window':
      case 'page':
        return {
          fill: 'blue',
          shape: 'dot',
          text: this.text('syncing', `syncing ${hhmm(status.windowEnd)}, ${status.emitted} new`, {
            time: hhmm(status.windowEnd),
            count: status.emitted,
          }),
        };
      case 'throttled': {
        const seconds = Math.max(1, Math.ceil(status.delayMs / 1000));
        return {
          fill: 'yellow',
          shape: 'ring',
          text: this.text('throttled', `throttled, retry in ${seconds}s`, { seconds }),
        };
      }
      case 'gap':
        return this.gap(
          status.gap.start,
          status.gap.end,
          status.gap.error.sub_code ?? status.gap.error.kind ?? 'error',
        );
      case 'reset':
        return {
          fill: 'yellow',
          shape: 'ring',
          text: this.text('reset', 'checkpoint invalid: started afresh'),
        };
      default:
        return undefined;
    }
  }

  /** A run that ended: its last gap, or how far it synced and what it found. */
  done(report: RunReport): NodeStatus {
    const gap = report.gaps[report.gaps.length - 1];
    if (gap) return this.gap(gap.start, gap.end, gap.error.sub_code ?? gap.error.kind ?? 'error');
    const time = hhmm(report.cursor);
    const { new: added, changed } = report.emitted;
    const summary =
      changed > 0
        ? this.text('syncedChanged', `synced ${time}, ${added} new, ${changed} changed`, {
            time,
            count: added,
            changed,
          })
        : this.text('synced', `synced ${time}, ${added} new`, { time, count: added });
    return { fill: 'green', shape: 'dot', text: summary };
  }

  /** A run that failed before it could report. */
  failure(err: TopError): NodeStatus {
    return { fill: 'red', shape: 'ring', text: `${err.kind}: ${localMessage(this.RED, err)}` };
  }
}
