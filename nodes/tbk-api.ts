import { specForMethod } from '../lib/spec/index';
import type { MethodSpec } from '../lib/spec/types';
import type { Node, NodeAPI, NodeDef } from './red-types';
import { errorModeOf, handleCalls, payloadParams, validationError } from './shared';

function knownSpec(method: string): MethodSpec | undefined {
  try {
    return specForMethod(method);
  } catch {
    return undefined; // no specs directory: the generic node works without it
  }
}

/**
 * Any TOP method by name. The method set in the editor wins; msg.method is used only when the
 * editor field is empty. msg.payload carries the parameters, unchecked except for their keys.
 */
export = function (RED: NodeAPI): void {
  function TbkApi(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const editorMethod = typeof def.method === 'string' ? def.method.trim() : '';
    const writes = def.writes === true || def.writes === 'true';

    handleCalls(RED, this, {
      configId: def.config,
      errorMode: errorModeOf(def.errorMode),
      async run(ctx) {
        const fromMsg = typeof ctx.msg.method === 'string' ? ctx.msg.method.trim() : '';
        const method = editorMethod || fromMsg;
        if (!method) throw validationError('method', 'no method: set it in the node or in msg.method');
        const params = payloadParams(ctx.msg.payload, { method });
        const spec = knownSpec(method);
        const result = await ctx.client.request(
          method,
          params,
          ctx.options({ writes: writes || spec?.writes === true, ...(spec?.business ? { business: spec.business } : {}) }),
        );
        ctx.msg.payload = result.response;
        ctx.msg.tbk = { method, request_id: result.request_id, attempts: result.attempts, duration_ms: result.duration_ms };
        ctx.emit(ctx.msg);
      },
    });
  }
  RED.nodes.registerType('tbk-api', TbkApi);
};
