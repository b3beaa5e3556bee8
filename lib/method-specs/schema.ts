import { isPlainObject } from '../top/objects';
import { z } from 'zod';
import { isFileParam } from '../top/encode';
import { TopError } from '../top/errors';
import { messageFields, type MessageArgs } from '../top/messages';
import { dateTime, parseGmt8 } from '../top/time';
import type { MethodSpec, ParamSpec } from './types';

/**
 * Business-parameter validation, before anything is signed or sent. One zod object schema per
 * spec (built once, cached by spec object); each parameter is a transform that normalizes the
 * value the way TOP reads it and reports a message naming the parameter and the rule.
 */

export interface ValidateOptions {
  /** parameters the spec does not document pass through unvalidated instead of being rejected */
  allowExtra?: boolean;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const NUMERIC = /^-?\d+(\.\d+)?$/;
const INTEGER = /^-?\d+$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DESCRIPTION_MAX = 80;

/** A broken rule: the key of its text (validation.rule.*) and the values it quotes. */
interface Rule {
  key: string;
  args: MessageArgs;
}

type Failure = { ok: false; rule: Rule };
type Check = (value: unknown) => { ok: true; value: unknown } | Failure;

interface Compiled {
  schema: z.ZodType<Record<string, unknown>>;
  known: Set<string>;
}

const cache = new WeakMap<MethodSpec, Compiled>();

/**
 * A short, never-throwing rendering of a value for messages, as the `got` value of a rule: the value
 * itself for text, numbers and booleans, else the key of a name for its kind ("an array").
 */
function show(value: unknown): MessageArgs {
  const named = (kind: string): MessageArgs => ({ got_key: `validation.value.${kind}` });
  try {
    switch (typeof value) {
      case 'string':
        return { got: JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value) };
      case 'number':
      case 'boolean':
        return { got: String(value) };
      case 'bigint':
        return { got: `${value.toString()}n` };
      case 'symbol':
      case 'function':
      case 'undefined':
        return named(typeof value);
      default:
        if (value === null) return named('null');
        if (Array.isArray(value)) return named('array');
        if (dateTime(value) !== undefined) return named('date');
        return named('object');
    }
  } catch {
    return named('unprintable');
  }
}

/** The " (description…)" that follows a parameter's name in a message, '' without one. */
function about(param: ParamSpec): string {
  const description = param.description?.trim();
  if (!description) return '';
  return ` (${description.length > DESCRIPTION_MAX ? description.slice(0, DESCRIPTION_MAX) + '…' : description})`;
}

function fail(key: string, args: MessageArgs = {}): Failure {
  return { ok: false, rule: { key: `validation.rule.${key}`, args } };
}

function ok(value: unknown): { ok: true; value: unknown } {
  return { ok: true, value };
}

/** Absent as TOP sees it: null, undefined, '' and whitespace-only are not sent at all. */
function isAbsent(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '');
}

/** Code points, without spreading huge strings. */
function charCount(text: string, limit: number): number {
  if (text.length <= limit) return text.length;
  if (text.length > limit * 2) return text.length;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) count++;
  }
  return count;
}

function numberValue(value: unknown): { ok: true; value: number | string } | Failure {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail('notFinite', show(value));
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return fail('lostPrecision', show(value));
    return { ok: true, value };
  }
  if (typeof value === 'bigint') {
    const n = Number(value);
    return { ok: true, value: Number.isSafeInteger(n) ? n : value.toString() };
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (!NUMERIC.test(text)) return fail('notNumber', show(value));
    if (INTEGER.test(text)) {
      const n = Number(text);
      return { ok: true, value: Number.isSafeInteger(n) ? n : text.replace(/^(-?)0+(?=\d)/, '$1') };
    }
    const n = Number(text);
    return Number.isFinite(n) ? { ok: true, value: n } : fail('notNumber', show(value));
  }
  return fail('notNumber', show(value));
}

function numberCheck(p: ParamSpec): Check {
  return (value) => {
    const r = numberValue(value);
    if (!r.ok) return r;
    const n = typeof r.value === 'number' ? r.value : Number(r.value);
    if (p.enum && !p.enum.some((e) => Number(e) === n))
      return fail('oneOf', { allowed: p.enum.join(', '), ...show(value) });
    if (p.min !== undefined && n < p.min) return fail('min', { min: p.min, ...show(value) });
    if (p.max !== undefined && n > p.max) return fail('max', { max: p.max, ...show(value) });
    return r;
  };
}

function stringCheck(p: ParamSpec): Check {
  return (value) => {
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return fail('notString', show(value));
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) return fail('lostPrecision', show(value));
      text = String(value);
    } else if (typeof value === 'bigint') text = value.toString();
    else return fail('notString', show(value));
    if (p.maxLength !== undefined && charCount(text, p.maxLength) > p.maxLength)
      return fail('tooLong', { max: p.maxLength, length: text.length });
    if (p.enum && !p.enum.some((e) => String(e) === text))
      return fail('oneOf', { allowed: p.enum.map((e) => JSON.stringify(String(e))).join(', '), ...show(text) });
    return ok(text);
  };
}

function booleanCheck(): Check {
  return (value) => {
    if (typeof value === 'boolean') return ok(value);
    if (typeof value === 'string') {
      const text = value.trim();
      if (text === 'true') return ok(true);
      if (text === 'false') return ok(false);
    }
    return fail('notBoolean', show(value));
  };
}

function dateCheck(): Check {
  return (value) => {
    const time = dateTime(value);
    if (time !== undefined) return Number.isNaN(time) ? fail('invalidDate') : ok(value);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return fail('notDate', show(value));
      const date = new Date(value);
      return Number.isNaN(date.getTime()) ? fail('epochRange', show(value)) : ok(date);
    }
    if (typeof value === 'string') {
      const text = value.trim();
      if (DATE_TIME.test(text)) return Number.isNaN(parseGmt8(text)) ? fail('notRealDateTime', show(value)) : ok(text);
      if (DATE_ONLY.test(text))
        return Number.isNaN(parseGmt8(`${text} 00:00:00`)) ? fail('notRealDate', show(value)) : ok(text);
      if (ISO_DATE.test(text)) {
        const ms = Date.parse(text);
        return Number.isNaN(ms) ? fail('notRealDate', show(value)) : ok(new Date(ms));
      }
    }
    return fail('dateFormat', show(value));
  };
}

function scalarListItems(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[') && text.endsWith(']')) {
      try {
        const parsed = JSON.parse(text) as unknown;
        if (Array.isArray(parsed)) return parsed;
      } catch {
        // not JSON: a comma list that happens to start with '['
      }
    }
  }
  return undefined;
}

function listCheck(p: ParamSpec, item: 'string' | 'number'): Check {
  return (value) => {
    const items = scalarListItems(value);
    if (items) {
      const out: Array<string | number> = [];
      for (let i = 0; i < items.length; i++) {
        const v = items[i];
        if (item === 'number') {
          const r = numberValue(v);
          if (!r.ok) return itemFailure(i, r.rule);
          out.push(r.value);
        } else if (typeof v === 'string') out.push(v);
        else if (typeof v === 'number' && Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v)))
          out.push(String(v));
        else if (typeof v === 'bigint') out.push(v.toString());
        else return fail('itemNotScalar', { index: i, ...show(v) });
      }
      if (p.maxLength !== undefined && out.length > p.maxLength)
        return fail('tooManyItems', { max: p.maxLength, count: out.length });
      return ok(out.length === 0 ? undefined : out);
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
      if (
        typeof value === 'number' &&
        (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value)))
      )
        return fail('notList', show(value));
      const text = typeof value === 'string' ? value : value.toString();
      const parts = text.split(',').filter((s) => s.trim() !== '');
      if (item === 'number') {
        const bad = parts.find((s) => !NUMERIC.test(s.trim()));
        if (bad !== undefined) return fail('notNumberList', show(bad.trim()));
      }
      if (p.maxLength !== undefined && parts.length > p.maxLength)
        return fail('tooManyItems', { max: p.maxLength, count: parts.length });
      return ok(text);
    }
    return fail('notList', show(value));
  };
}

function jsonCheck(p: ParamSpec): Check {
  const isListType = /\[\]\s*$/.test(p.docType);
  const countOk = (parsed: unknown): Failure | undefined =>
    p.maxLength !== undefined && isListType && Array.isArray(parsed) && parsed.length > p.maxLength
      ? fail('tooManyItems', { max: p.maxLength, count: parsed.length })
      : undefined;
  return (value) => {
    if (typeof value === 'string') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return fail('notJson', show(value));
      }
      return countOk(parsed) ?? ok(value);
    }
    if (Array.isArray(value) || isPlainObject(value)) {
      try {
        JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      } catch (err) {
        return fail('jsonUnencodable', { reason: err instanceof Error ? err.message : 'unknown reason' });
      }
      return countOk(value) ?? ok(value);
    }
    return fail('notJson', show(value));
  };
}

function fileCheck(): Check {
  return (value) => (isFileParam(value) ? ok(value) : fail('notFile', show(value)));
}

/** A number rule broken by an item of a list: the same rule, naming the item. */
function itemFailure(index: number, rule: Rule): Failure {
  const name = rule.key.slice('validation.rule.'.length);
  return fail(`item${name[0]!.toUpperCase()}${name.slice(1)}`, { index, ...rule.args });
}

function checkFor(p: ParamSpec): Check {
  switch (p.kind) {
    case 'number':
      return numberCheck(p);
    case 'boolean':
      return booleanCheck();
    case 'date':
      return dateCheck();
    case 'string[]':
      return listCheck(p, 'string');
    case 'number[]':
      return listCheck(p, 'number');
    case 'json':
      return jsonCheck(p);
    case 'file':
      return fileCheck();
    case 'string':
    default:
      return stringCheck(p);
  }
}

/** The text of a parameter that broke a rule, with `more` other problems found beside it. */
function paramText(param: ParamSpec, rule: Rule, more: number): ReturnType<typeof messageFields> {
  const moreArgs: MessageArgs =
    more === 0
      ? { more: '' }
      : more === 1
        ? { more_key: 'validation.moreOne' }
        : { more_key: 'validation.moreMany', count: more };
  // the rule's own values first: its got_key is rendered before the rule that quotes it
  return messageFields('validation.param', {
    param: param.name,
    about: about(param),
    ...rule.args,
    rule_key: rule.key,
    ...moreArgs,
  });
}

function compile(spec: MethodSpec): Compiled {
  const shape: Record<string, z.ZodType<unknown>> = {};
  for (const p of spec.params) {
    const check = checkFor(p);
    // the English text for zod; the rule itself travels in params, for the error's key and values
    const report = (ctx: z.RefinementCtx, rule: Rule): void =>
      ctx.addIssue({ code: 'custom', message: paramText(p, rule, 0).message, params: { rule } });
    const required: Rule = { key: 'validation.rule.required', args: {} };
    shape[p.name] = z
      .unknown()
      .optional()
      .transform((value, ctx) => {
        if (isAbsent(value)) {
          if (p.required) report(ctx, required);
          return undefined;
        }
        const result = check(value);
        if (!result.ok) {
          report(ctx, result.rule);
          return z.NEVER;
        }
        if (result.value === undefined && p.required) report(ctx, required);
        return result.value;
      });
  }
  return {
    schema: z.object(shape) as unknown as z.ZodType<Record<string, unknown>>,
    known: new Set(spec.params.map((p) => p.name)),
  };
}

function compiledFor(spec: MethodSpec): Compiled {
  let compiled = cache.get(spec);
  if (!compiled) {
    compiled = compile(spec);
    cache.set(spec, compiled);
  }
  return compiled;
}

function validationError(
  spec: MethodSpec,
  text: ReturnType<typeof messageFields>,
  param?: string,
  cause?: unknown,
): TopError {
  return new TopError(
    { kind: 'validation', method: spec.method, ...text, ...(param !== undefined ? { param } : {}) },
    cause !== undefined ? { cause } : undefined,
  );
}

/** Own enumerable string keys copied into a fresh object; getters that throw become a TopError. */
function readParams(spec: MethodSpec, params: unknown): Record<string, unknown> {
  if (!isPlainObject(params)) {
    throw validationError(spec, messageFields('validation.notObject', { method: spec.method, ...show(params) }));
  }
  const keys = Object.keys(params);
  const forbidden = keys.filter((k) => FORBIDDEN_KEYS.has(k));
  if (forbidden.length)
    throw validationError(
      spec,
      messageFields('validation.forbidden', { names: forbidden.map((k) => `"${k}"`).join(', ') }),
      forbidden[0],
    );
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    try {
      copy[key] = params[key];
    } catch (err) {
      throw validationError(spec, messageFields('validation.unreadable', { param: key }), key, err);
    }
  }
  return copy;
}

function validate(spec: MethodSpec, params: unknown, options: ValidateOptions | undefined): Record<string, unknown> {
  const copy = readParams(spec, params);
  if (spec.validate === false) return copy;
  const { schema, known } = compiledFor(spec);
  const extra = Object.keys(copy).filter((k) => !known.has(k));
  if (extra.length && !options?.allowExtra) {
    const names = extra.map((k) => `"${k}"`).join(', ');
    const text = messageFields(extra.length > 1 ? 'validation.unknownMany' : 'validation.unknownOne', {
      names,
      method: spec.method,
      documented: [...known].join(', ') || '-',
    });
    throw validationError(spec, text, extra[0]);
  }
  const result = schema.safeParse(copy);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = typeof issue.path[0] === 'string' ? issue.path[0] : undefined;
    const paramSpec = spec.params.find((p) => p.name === param);
    const rule = (issue as { params?: { rule?: Rule } }).params?.rule;
    if (!paramSpec || !rule)
      throw validationError(spec, messageFields('validation.failed', { method: spec.method }), param);
    throw validationError(spec, paramText(paramSpec, rule, result.error.issues.length - 1), param);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(result.data)) if (value !== undefined) out[key] = value;
  for (const key of extra) out[key] = copy[key];
  return out;
}

/**
 * Checks and normalizes the business parameters of one call against its spec. Returns a new
 * object (absent values dropped, numeric strings as numbers, integers beyond 2^53 as exact
 * strings); throws a TopError of kind 'validation' naming the parameter, and nothing else.
 */
export function validateParams(spec: MethodSpec, params: unknown, options?: ValidateOptions): Record<string, unknown> {
  try {
    return validate(spec, params, options);
  } catch (err) {
    if (err instanceof TopError) throw err;
    let method = 'unknown method';
    try {
      method = String(spec?.method);
    } catch {
      // a spec that cannot be read: keep the placeholder
    }
    throw new TopError(
      { kind: 'validation', method, ...messageFields('validation.failed', { method }) },
      { cause: err },
    );
  }
}
