import { isPlainObject } from '../objects';
import { z } from 'zod';
import { isFileParam } from '../encode';
import { TopError } from '../errors';
import { dateTime, parseGmt8 } from '../time';
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

type Check = (value: unknown) => { ok: true; value: unknown } | { ok: false; rule: string };

interface Compiled {
  schema: z.ZodType<Record<string, unknown>>;
  known: Set<string>;
}

const cache = new WeakMap<MethodSpec, Compiled>();

/** A short, never-throwing rendering of a value for messages. */
function show(value: unknown): string {
  try {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
      case 'number':
      case 'boolean':
        return String(value);
      case 'bigint':
        return `${value.toString()}n`;
      case 'symbol':
        return 'a symbol';
      case 'function':
        return 'a function';
      case 'undefined':
        return 'undefined';
      default:
        if (value === null) return 'null';
        if (Array.isArray(value)) return 'an array';
        if (dateTime(value) !== undefined) return 'a Date';
        return 'an object';
    }
  } catch {
    return 'an unprintable value';
  }
}

function label(param: ParamSpec): string {
  const description = param.description?.trim();
  if (!description) return `Parameter "${param.name}"`;
  const short = description.length > DESCRIPTION_MAX ? description.slice(0, DESCRIPTION_MAX) + '…' : description;
  return `Parameter "${param.name}" (${short})`;
}

function fail(rule: string): { ok: false; rule: string } {
  return { ok: false, rule };
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

function numberValue(value: unknown): { ok: true; value: number | string } | { ok: false; rule: string } {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail(`must be a finite number, got ${show(value)}`);
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return fail(`is an integer beyond 2^53 that has lost precision (${show(value)}): pass it as a string`);
    return { ok: true, value };
  }
  if (typeof value === 'bigint') {
    const n = Number(value);
    return { ok: true, value: Number.isSafeInteger(n) ? n : value.toString() };
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (!NUMERIC.test(text)) return fail(`must be a number, got ${show(value)}`);
    if (INTEGER.test(text)) {
      const n = Number(text);
      return { ok: true, value: Number.isSafeInteger(n) ? n : text.replace(/^(-?)0+(?=\d)/, '$1') };
    }
    const n = Number(text);
    return Number.isFinite(n) ? { ok: true, value: n } : fail(`must be a number, got ${show(value)}`);
  }
  return fail(`must be a number, got ${show(value)}`);
}

function numberCheck(p: ParamSpec): Check {
  return (value) => {
    const r = numberValue(value);
    if (!r.ok) return r;
    const n = typeof r.value === 'number' ? r.value : Number(r.value);
    if (p.enum && !p.enum.some((e) => Number(e) === n)) return fail(`must be one of ${p.enum.join(', ')}, got ${show(value)}`);
    if (p.min !== undefined && n < p.min) return fail(`must be at least ${p.min}, got ${show(value)}`);
    if (p.max !== undefined && n > p.max) return fail(`must be at most ${p.max}, got ${show(value)}`);
    return r;
  };
}

function stringCheck(p: ParamSpec): Check {
  return (value) => {
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return fail(`must be a string, got ${show(value)}`);
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) return fail(`is an integer beyond 2^53 that has lost precision (${show(value)}): pass it as a string`);
      text = String(value);
    } else if (typeof value === 'bigint') text = value.toString();
    else return fail(`must be a string, got ${show(value)}`);
    if (p.maxLength !== undefined && charCount(text, p.maxLength) > p.maxLength) return fail(`must be at most ${p.maxLength} characters long, got ${text.length}`);
    if (p.enum && !p.enum.some((e) => String(e) === text)) return fail(`must be one of ${p.enum.map((e) => JSON.stringify(String(e))).join(', ')}, got ${show(text)}`);
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
    return fail(`must be true or false, got ${show(value)}`);
  };
}

function dateCheck(): Check {
  return (value) => {
    const time = dateTime(value);
    if (time !== undefined) return Number.isNaN(time) ? fail('must be a valid date, got an invalid Date') : ok(value);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return fail(`must be a date, got ${show(value)}`);
      const date = new Date(value);
      return Number.isNaN(date.getTime()) ? fail(`must be a date (epoch milliseconds in range), got ${show(value)}`) : ok(date);
    }
    if (typeof value === 'string') {
      const text = value.trim();
      if (DATE_TIME.test(text)) return Number.isNaN(parseGmt8(text)) ? fail(`must be a real date and time, got ${show(value)}`) : ok(text);
      if (DATE_ONLY.test(text)) return Number.isNaN(parseGmt8(`${text} 00:00:00`)) ? fail(`must be a real date, got ${show(value)}`) : ok(text);
      if (ISO_DATE.test(text)) {
        const ms = Date.parse(text);
        return Number.isNaN(ms) ? fail(`must be a real date, got ${show(value)}`) : ok(new Date(ms));
      }
    }
    return fail(`must be a date ('yyyy-MM-dd HH:mm:ss', 'yyyy-MM-dd', ISO 8601, a Date or epoch milliseconds), got ${show(value)}`);
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
          if (!r.ok) return fail(`item ${i} ${r.rule}`);
          out.push(r.value);
        } else if (typeof v === 'string') out.push(v);
        else if (typeof v === 'number' && Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v))) out.push(String(v));
        else if (typeof v === 'bigint') out.push(v.toString());
        else return fail(`item ${i} must be a string or a number, got ${show(v)}`);
      }
      if (p.maxLength !== undefined && out.length > p.maxLength) return fail(`must have at most ${p.maxLength} items, got ${out.length}`);
      return ok(out.length === 0 ? undefined : out);
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
      if (typeof value === 'number' && (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value)))) return fail(`must be a list, got ${show(value)}`);
      const text = typeof value === 'string' ? value : value.toString();
      const parts = text.split(',').filter((s) => s.trim() !== '');
      if (item === 'number') {
        const bad = parts.find((s) => !NUMERIC.test(s.trim()));
        if (bad !== undefined) return fail(`must be a comma-separated list of numbers, got ${show(bad.trim())} in it`);
      }
      if (p.maxLength !== undefined && parts.length > p.maxLength) return fail(`must have at most ${p.maxLength} items, got ${parts.length}`);
      return ok(text);
    }
    return fail(`must be a list (an array or a comma-separated string), got ${show(value)}`);
  };
}

function jsonCheck(p: ParamSpec): Check {
  const isListType = /\[\]\s*$/.test(p.docType);
  const countOk = (parsed: unknown): string | undefined =>
    p.maxLength !== undefined && isListType && Array.isArray(parsed) && parsed.length > p.maxLength ? `must have at most ${p.maxLength} items, got ${parsed.length}` : undefined;
  return (value) => {
    if (typeof value === 'string') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return fail(`must be JSON (an object, an array or a JSON string), got ${show(value)}`);
      }
      const tooMany = countOk(parsed);
      return tooMany ? fail(tooMany) : ok(value);
    }
    if (Array.isArray(value) || isPlainObject(value)) {
      try {
        JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      } catch (err) {
        return fail(`cannot be encoded as JSON (${err instanceof Error ? err.message : 'unknown reason'})`);
      }
      const tooMany = countOk(value);
      return tooMany ? fail(tooMany) : ok(value);
    }
    return fail(`must be JSON (an object, an array or a JSON string), got ${show(value)}`);
  };
}

function fileCheck(): Check {
  return (value) => (isFileParam(value) ? ok(value) : fail(`must be a file (a Buffer, a Uint8Array or {data: Buffer, filename}), got ${show(value)}`));
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

function compile(spec: MethodSpec): Compiled {
  const shape: Record<string, z.ZodType<unknown>> = {};
  for (const p of spec.params) {
    const check = checkFor(p);
    const prefix = label(p);
    shape[p.name] = z.unknown().optional().transform((value, ctx) => {
      if (isAbsent(value)) {
        if (p.required) ctx.addIssue({ code: 'custom', message: `${prefix} is required` });
        return undefined;
      }
      const result = check(value);
      if (!result.ok) {
        ctx.addIssue({ code: 'custom', message: `${prefix} ${result.rule}` });
        return z.NEVER;
      }
      if (result.value === undefined && p.required) ctx.addIssue({ code: 'custom', message: `${prefix} is required` });
      return result.value;
    });
  }
  return { schema: z.object(shape) as unknown as z.ZodType<Record<string, unknown>>, known: new Set(spec.params.map((p) => p.name)) };
}

function compiledFor(spec: MethodSpec): Compiled {
  let compiled = cache.get(spec);
  if (!compiled) {
    compiled = compile(spec);
    cache.set(spec, compiled);
  }
  return compiled;
}

function validationError(spec: MethodSpec, message: string, param?: string, cause?: unknown): TopError {
  return new TopError({ kind: 'validation', method: spec.method, message, ...(param !== undefined ? { param } : {}) }, cause !== undefined ? { cause } : undefined);
}

/** Own enumerable string keys copied into a fresh object; getters that throw become a TopError. */
function readParams(spec: MethodSpec, params: unknown): Record<string, unknown> {
  if (!isPlainObject(params)) {
    throw validationError(spec, `Parameters for ${spec.method} must be a plain object, got ${show(params)}`);
  }
  const keys = Object.keys(params);
  const forbidden = keys.filter((k) => FORBIDDEN_KEYS.has(k));
  if (forbidden.length) throw validationError(spec, `Parameter name ${forbidden.map((k) => `"${k}"`).join(', ')} is not allowed`, forbidden[0]);
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    try {
      copy[key] = params[key];
    } catch (err) {
      throw validationError(spec, `Parameter "${key}" could not be read`, key, err);
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
    throw validationError(spec, `Unknown parameter${extra.length > 1 ? 's' : ''} ${names} for ${spec.method} (documented: ${[...known].join(', ') || 'none'})`, extra[0]);
  }
  const result = schema.safeParse(copy);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problem${result.error.issues.length > 2 ? 's' : ''})` : '';
    const param = typeof issue.path[0] === 'string' ? issue.path[0] : undefined;
    throw validationError(spec, issue.message + more, param);
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
    throw new TopError({ kind: 'validation', method, message: `Parameters for ${method} could not be validated` }, { cause: err });
  }
}
