/**
 * What a message brings: the business parameters of msg.payload, msg.session, and the checks that
 * refuse bad input with a validation error naming the parameter and the rule.
 */
import { TopError, isTopError } from '../lib/top/errors';
import type { MessageArgs } from '../lib/top/messages';
import { isPlainObject } from '../lib/top/objects';
import type { NodeMessage } from 'node-red';
import { nodeMessageFields } from './runtime-text';

export { isPlainObject };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A validation error naming `param`; its text a plain message, or a message key of the nodes (NODE_MESSAGES) and its values. */
export function validationError(
  param: string,
  text: string | { key: string; args?: MessageArgs },
  method?: string,
): TopError {
  const fields = typeof text === 'string' ? { message: text } : nodeMessageFields(text.key, text.args);
  return new TopError({ kind: 'validation', param, ...fields, ...(method ? { method } : {}) });
}

/** How a value that is not a parameter object is named in a message ("not an array"). */
function kindOf(value: unknown): MessageArgs {
  if (Array.isArray(value)) return { what_key: 'validation.value.array' };
  if (Buffer.isBuffer(value)) return { what_key: 'node.value.buffer' };
  const type = typeof value;
  return {
    what_key:
      type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint'
        ? `node.value.${type}`
        : `validation.value.${type === 'object' ? 'object' : type}`,
  };
}

/**
 * The business parameters carried by msg.payload: a plain object, or nothing (undefined, null, '').
 * With `ignoreScalars` a number or boolean (an Inject node's timestamp) also means nothing.
 * Keys that could reach an object's prototype are refused.
 */
export function payloadParams(
  payload: unknown,
  options: { ignoreScalars?: boolean; method?: string; where?: string } = {},
): Record<string, unknown> | undefined {
  if (payload === undefined || payload === null || payload === '') return undefined;
  if (options.ignoreScalars && (typeof payload === 'number' || typeof payload === 'boolean')) return undefined;
  const where = options.where ?? 'msg.payload';
  if (!isPlainObject(payload))
    throw validationError(
      'payload',
      { key: 'node.payloadNotObject', args: { where, ...kindOf(payload) } },
      options.method,
    );
  rejectForbiddenKeys(payload, where, options.method);
  return payload;
}

/** Refuses parameter names that could reach an object's prototype; `where` is 'the node' or the msg property they came in. */
export function rejectForbiddenKeys(params: Record<string, unknown>, where: string, method?: string): void {
  for (const key of Object.keys(params)) {
    if (!FORBIDDEN_KEYS.has(key)) continue;
    throw validationError(
      key,
      where === 'the node'
        ? { key: 'node.forbiddenInNode', args: { param: key } }
        : { key: 'node.forbiddenIn', args: { where, param: key } },
      method,
    );
  }
}

/** msg.session, when it is set: a non-empty string (a user's authorization for 服务商 methods). */
export function messageSession(msg: NodeMessage): string | undefined {
  const session = msg.session;
  if (session === undefined || session === null || session === '') return undefined;
  if (typeof session !== 'string') throw validationError('session', { key: 'node.sessionNotString' });
  return session.trim() || undefined;
}

/** Any failure as a TopError; what is not one already is reported as a transport failure. */
export function asTopError(err: unknown, method?: string): TopError {
  if (isTopError(err)) {
    if (method && !err.method) err.method = method;
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TopError({ kind: 'transport', message, ...(method ? { method } : {}) }, { cause: err });
}
