/**
 * tbk-link-convert: chat text in, the same text out with every Taobao / Tmall link and 淘口令
 * converted to the operator's own (万能转链, lib/link-convert.ts).
 *
 * Output 1: msg.payload the converted text, msg.tbk.links one entry per material in text order.
 * Output 2 (or Catch): only when a call fails as a whole (signature, transport, ...) or the input
 * or the node's settings are wrong. A material the gateway refuses is listed with ok: false.
 */
import { TopError } from '../lib/top/errors';
import { convertText, NO_ANSWER, NO_LINK, type ConvertedLink } from '../lib/links/convert';
import {
  readLinkConvertSettings,
  settingsProblem,
  type LinkConvertDef,
  type SettingsProblem,
} from './link-convert-settings';
import type { NodeAPI, NodeMessage } from 'node-red';
import { nodeSetNamespace, statusText, rememberRuntime } from './runtime-text';
import { handleCalls } from './calls';
import type { WiredNode } from './failure';

/** This node set's catalogue: its texts are looked up there by key with the namespace. */
const NAMESPACE = nodeSetNamespace('tbk-link-convert');

function problemError(problem: SettingsProblem, method: string): TopError {
  return new TopError({
    kind: 'validation',
    param: problem.param,
    method,
    message: problem.message,
    messageKey: `${NAMESPACE}:tbk-link-convert.errors.${problem.key}`,
    ...(problem.args ? { messageArgs: problem.args } : {}),
  });
}

/** The chat text of a message: msg.payload as a string. */
function payloadText(msg: NodeMessage, method: string): string {
  const payload = msg.payload;
  if (typeof payload === 'string') return payload;
  const type = typeof payload;
  const what =
    payload === undefined || payload === null
      ? String(payload)
      : Array.isArray(payload)
        ? 'an array'
        : Buffer.isBuffer(payload)
          ? 'a Buffer'
          : `${type === 'object' ? 'an' : 'a'} ${type}`;
  throw new TopError({
    kind: 'validation',
    param: 'payload',
    method,
    message: `msg.payload must be the chat text (a string), not ${what}`,
    messageKey: `${NAMESPACE}:tbk-link-convert.errors.payload`,
    messageArgs: { what },
  });
}

export = function (RED: NodeAPI): void {
  rememberRuntime(RED);
  const t = (key: string, fallback: string, args: Record<string, unknown> = {}): string =>
    statusText(RED, `${NAMESPACE}:tbk-link-convert.${key}`, fallback, args);

  /** The texts of the failures found here (the gateway's own msg stays as it came). */
  const localised = (link: ConvertedLink): ConvertedLink => {
    if (link.error?.code === NO_ANSWER) link.error.msg = t('errors.noAnswer', link.error.msg);
    else if (link.error?.code === NO_LINK) link.error.msg = t('errors.noLink', link.error.msg);
    return link;
  };

  function TbkLinkConvert(this: WiredNode, def: LinkConvertDef): void {
    RED.nodes.createNode(this, def);
    const settings = readLinkConvertSettings(RED, this, def);
    const problem = settingsProblem(settings);
    if (problem) {
      const text = t(`errors.${problem.key}`, problem.message, problem.args);
      this.warn(text);
      this.status({ fill: 'red', shape: 'ring', text: t('status.notReady', 'not ready: see the node settings') });
    }

    handleCalls(RED, this, {
      configId: def.config,
      errorMode: settings.errorMode,
      async run(ctx) {
        const { method } = settings;
        if (problem) throw problemError(problem, method);
        const input = payloadText(ctx.msg, method);
        const result = await convertText(ctx.client, input, {
          method,
          adzoneId: settings.adzoneId,
          ...(settings.siteId ? { siteId: settings.siteId } : {}),
          ...(settings.relationId ? { relationId: settings.relationId } : {}),
          ...(settings.specialId ? { specialId: settings.specialId } : {}),
          replaceWith: settings.replaceWith,
          preferCoupon: settings.preferCoupon,
          call: ctx.options(),
        });
        const links = result.links.map(localised);
        ctx.msg.payload = result.text;
        ctx.msg.tbk = {
          method,
          links,
          calls: result.calls,
          ...(result.calls > 0
            ? { request_ids: result.request_ids, attempts: result.attempts, duration_ms: result.duration_ms }
            : {}),
        };
        const converted = links.filter((l) => l.ok).length;
        ctx.doneStatus(
          links.length === 0
            ? { fill: 'grey', shape: 'dot', text: t('status.none', 'no link to convert') }
            : {
                fill: converted === links.length ? 'green' : 'yellow',
                shape: 'dot',
                text: t('status.converted', `${converted}/${links.length} converted, ${result.duration_ms} ms`, {
                  converted,
                  count: links.length,
                  ms: result.duration_ms,
                }),
              },
        );
        ctx.emit(ctx.msg);
      },
    });
  }
  RED.nodes.registerType('tbk-link-convert', TbkLinkConvert);
};
