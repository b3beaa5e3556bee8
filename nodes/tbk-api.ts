import { batchInChunks } from '../lib/top/batch-chunks';
import { DEFAULT_BATCH_SIZE } from '../lib/top/batch-wire';
import type { TopError } from '../lib/top/errors';
import { specForMethod } from '../lib/method-specs/index';
import type { MethodSpec } from '../lib/method-specs/types';
import type { NodeAPI, NodeDef } from 'node-red';
import { handleCalls } from './calls';
import { errorForMessage, errorModeOf, type WiredNode } from './failure';
import { payloadParams, validationError } from './input';
import { migrateNode } from './migrations';
import { rememberRuntime } from './runtime-text';

function knownSpec(method: string): MethodSpec | undefined {
  try {
    return specForMethod(method);
  } catch {
    return undefined; // no specs directory: the generic node works without it
  }
}

function batchSizeOf(value: unknown): number {
  const n = Number(value);
  return value !== '' && value !== null && Number.isInteger(n) && n >= 1 ? n : DEFAULT_BATCH_SIZE;
}

/** The properties the editor saves on a tbk-api node (tbk-api.html `defaults`). */
interface TbkApiDef extends NodeDef {
  version?: number;
  config?: string;
  method?: string;
  writes?: boolean | string;
  errorMode?: string;
  batch?: boolean | string;
  batchSize?: number | string;
}

/**
 * Any TOP method by name. The method set in the editor wins; msg.method is used only when the
 * editor field is empty. msg.payload carries the parameters, unchecked except for their keys.
 * In batch mode an array payload is sent as /router/batch requests of `batchSize` calls, and the
 * output payload is one result per call, in order.
 */
export = function (RED: NodeAPI): void {
  rememberRuntime(RED);
  function TbkApi(this: WiredNode, saved: TbkApiDef): void {
    RED.nodes.createNode(this, saved);
    const def = migrateNode('tbk-api', saved);
    const editorMethod = typeof def.method === 'string' ? def.method.trim() : '';
    const writes = def.writes === true || def.writes === 'true';
    const batchMode = def.batch === true || def.batch === 'true';
    const batchSize = batchSizeOf(def.batchSize);
    const errorJson = (err: TopError): Record<string, unknown> => errorForMessage(this, err, RED);

    handleCalls(RED, this, {
      configId: def.config,
      errorMode: errorModeOf(def.errorMode),
      async run(ctx) {
        const fromMsg = typeof ctx.msg.method === 'string' ? ctx.msg.method.trim() : '';
        const method = editorMethod || fromMsg;
        if (!method) throw validationError('method', { key: 'node.noMethod' });
        const spec = knownSpec(method);
        const options = ctx.options({
          writes: writes || spec?.writes === true,
          ...(spec?.business ? { business: spec.business } : {}),
        });
        if (batchMode && Array.isArray(ctx.msg.payload)) {
          const list = ctx.msg.payload.map(
            (item: unknown, i) => payloadParams(item, { method, where: `msg.payload[${i}]` }) ?? {},
          );
          const chunks = Math.ceil(list.length / batchSize);
          ctx.msg.tbk = { method, batch: { calls: list.length, chunks, batchSize } };
          const outcome = await batchInChunks(ctx.client, method, list, { ...options, batchSize });
          ctx.msg.payload = outcome.results.map((r) => (r.ok ? r : { ok: false, error: errorJson(r.error) }));
          ctx.msg.tbk = {
            method,
            batch: {
              calls: list.length,
              chunks,
              batchSize,
              failed: outcome.results.filter((r) => !r.ok).length,
              requests: outcome.chunks.reduce((sum, c) => sum + c.requests, 0),
            },
            duration_ms: outcome.duration_ms,
          };
          ctx.emit(ctx.msg);
          return;
        }
        const params = payloadParams(ctx.msg.payload, { method });
        const result = await ctx.client.request(method, params, options);
        ctx.msg.payload = result.response;
        ctx.msg.tbk = {
          method,
          request_id: result.request_id,
          attempts: result.attempts,
          duration_ms: result.duration_ms,
        };
        ctx.emit(ctx.msg);
      },
    });
  }
  RED.nodes.registerType('tbk-api', TbkApi);
};
