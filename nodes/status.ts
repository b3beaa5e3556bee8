/**
 * What a node shows under itself: a reporter that keeps routine updates to one per 200 ms (the latest
 * always shows) and shows urgent ones at once, texts shortened to fit, and the status of a node
 * whose config node fell back to a local rate limit.
 */
import type { LimitMode, TbkConfigNode } from './config-settings';
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import { nodeSetNamespace, statusText } from './runtime-text';

const MAX_STATUS_TEXT = 40;
/** Routine status updates at most this often per node. */
const STATUS_INTERVAL_MS = 200;

export function shortenStatus(text: string): string {
  return text.length > MAX_STATUS_TEXT ? text.slice(0, MAX_STATUS_TEXT - 1) + '…' : text;
}

export class StatusReporter {
  private lastAt = 0;
  private pending: NodeStatus | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly node: Node) {}

  /** Routine updates (in flight, ok) are coalesced; `urgent` ones (errors, throttling, results) show at once. */
  set(status: NodeStatus, urgent = false): void {
    if (this.closed) return;
    this.pending = status.text !== undefined ? { ...status, text: shortenStatus(status.text) } : status;
    if (urgent || Date.now() - this.lastAt >= STATUS_INTERVAL_MS) {
      clearTimeout(this.timer);
      this.flush();
    } else {
      this.timer ??= setTimeout(() => this.flush(), STATUS_INTERVAL_MS - (Date.now() - this.lastAt));
    }
  }

  /** Clears the status and shows nothing more (the node is closing). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.node.status({});
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed || !this.pending) return;
    this.lastAt = Date.now();
    this.node.status(this.pending);
    this.pending = undefined;
  }
}

/**
 * Follows where the rate limit of a config node is kept (TbkConfigNode.watchLimit): a config node has
 * no status in the editor, so the nodes that use it show its fallback. Returns the function that stops.
 */
export function watchLimitMode(RED: NodeAPI, configId: unknown, onChange: (mode: LimitMode) => void): () => void {
  const config =
    typeof configId === 'string' && configId !== '' ? (RED.nodes.getNode(configId) as TbkConfigNode | null) : null;
  return typeof config?.watchLimit === 'function' ? config.watchLimit(onChange) : () => undefined;
}

/** The status of a node whose config keeps the rate limit locally because Redis is unreachable. */
export function localLimitStatus(RED: NodeAPI): NodeStatus {
  return {
    fill: 'yellow',
    shape: 'ring',
    text: statusText(
      RED,
      `${nodeSetNamespace('tbk-config')}:tbk-config.status.localLimit`,
      'local limit: Redis unreachable',
      {},
    ),
  };
}
