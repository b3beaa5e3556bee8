/**
 * Chat-text conversion: how long one message takes through a real tbk-link-convert node (embedded
 * Node-RED, the package installed as a `file:` link) against the package's sandbox (in this process,
 * signature and timestamp checked on every call), from receive() to output 1. Messages of 5, 25, 60
 * and 100 distinct materials of every form (up to 20 a call, the calls side by side), with the
 * sandbox answering at once or after 50 ms per HTTP request (standing for the network round trip).
 * Medians of BENCH_LINK_ROUNDS rounds (default 15). The config node's per-second limit is off so
 * that rounds back to back do not wait for it (a 100-material message is 5 calls, within 40/s);
 * 16 calls in flight. Also: the extraction alone (findMaterials) on the same messages.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/link-convert.js
 */
import { findMaterials } from '../lib/links/materials';
import { DEFAULT_APP, startSandbox } from '../lib/sandbox/index';
import { startNodeRed, type FlowNode } from './nodered';

const ROUNDS = Math.max(3, Number(process.env.BENCH_LINK_ROUNDS) || 15);
const SIZES = [5, 25, 60, 100];
const LATENCIES_MS = [0, 50];

/** A chat message with `count` distinct materials: links, classic and long-form 淘口令 in turn, between Chinese text. */
export function chatMessage(count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const code = `Bn${String(i).padStart(3, '0')}kdEFgh`;
    const material =
      i % 3 === 0
        ? `https://m.tb.cn/h.Bench${i}`
        : i % 3 === 1
          ? `￥${code}￥`
          : `${10 + (i % 90)}￥ CZ${1000 + i} ${code}￥ https://m.tb.cn/h.L${i}x`;
    parts.push(`第${i + 1}件好物，限时特价！${material} 手慢无～`);
  }
  return parts.join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fixed = (n: number, digits = 1): string => n.toFixed(digits).padStart(8);

async function main(): Promise<void> {
  const sandbox = await startSandbox({ port: 0, apps: [DEFAULT_APP], recordLimit: 1 });
  const flows: FlowNode[] = [
    { id: 'tab', type: 'tab', label: 'bench' },
    {
      id: 'cfg',
      type: 'tbk-config',
      endpoint: sandbox.url,
      signMethod: 'md5',
      timeout: 15000,
      retries: 0,
      rateLimit: 0,
      concurrency: 16,
    },
    {
      id: 'convert',
      type: 'tbk-link-convert',
      z: 'tab',
      config: 'cfg',
      adzoneId: '12345678',
      replaceWith: 'tpwd',
      preferCoupon: true,
      errorMode: 'output',
      version: 1,
      wires: [['sink'], ['sink']],
    },
    { id: 'sink', type: 'bench-sink', z: 'tab', wires: [] },
  ];
  let waiting: ((msg: Record<string, unknown>) => void) | undefined;
  const runtime = await startNodeRed(
    flows,
    { cfg: { appKey: DEFAULT_APP.appKey, appSecret: DEFAULT_APP.appSecret } },
    (msg) => waiting?.(msg),
  );
  const node = runtime.node('convert');
  const convert = (text: string): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      waiting = resolve;
      node.receive({ payload: text });
    });

  try {
    console.log(
      `tbk-link-convert, one message at a time; ${ROUNDS} rounds per cell, medians (ms per message); sandbox in this process`,
    );
    const messages = SIZES.map(chatMessage);
    for (const [s, text] of messages.entries()) {
      const found = findMaterials(text);
      if (found.length !== SIZES[s]) throw new Error(`${SIZES[s]} materials written, ${found.length} found`);
    }
    for (const latencyMs of LATENCIES_MS) {
      sandbox.setFaults(latencyMs ? [{ kind: 'latency', latencyMs }] : []);
      console.log(`\nadded latency per HTTP request: ${latencyMs} ms`);
      console.log(`${'materials'.padEnd(12)}${'calls'.padStart(6)}${'chars'.padStart(8)}  median      min      max`);
      for (const [s, text] of messages.entries()) {
        const times: number[] = [];
        let calls = 0;
        for (let round = -1; round < ROUNDS; round++) {
          const started = performance.now();
          const msg = await convert(text);
          const elapsed = performance.now() - started;
          if (msg.error) throw new Error(`the message failed: ${JSON.stringify(msg.error)}`);
          const tbk = msg.tbk as { links: unknown[]; calls: number };
          if (tbk.links.length !== SIZES[s]) throw new Error(`${tbk.links.length} links for ${SIZES[s]} materials`);
          calls = tbk.calls;
          if (round >= 0) times.push(elapsed); // round -1 warms up the connections
        }
        console.log(
          `${String(SIZES[s]).padEnd(12)}${String(calls).padStart(6)}${String(text.length).padStart(8)}${fixed(median(times))} ${fixed(Math.min(...times))} ${fixed(Math.max(...times))}`,
        );
      }
    }

    console.log('\nextraction alone (findMaterials), microseconds per message, median of 200');
    for (const [s, text] of messages.entries()) {
      const times: number[] = [];
      for (let i = 0; i < 200; i++) {
        const started = performance.now();
        findMaterials(text);
        times.push((performance.now() - started) * 1000);
      }
      console.log(
        `${String(SIZES[s]).padEnd(12)}${String(text.length).padStart(14)} chars ${fixed(median(times), 0)} µs`,
      );
    }
  } finally {
    await runtime.stop();
    await sandbox.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
