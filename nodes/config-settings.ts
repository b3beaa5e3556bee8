/** Settings of the tbk-config node: reading, `${ENV}` expansion, defaults, checks. */
import { TopError } from '../lib/errors';
import type { TopClient } from '../lib/index';
import type { Node, NodeAPI, NodeDef } from './red-types';
import { nodeMessageFields } from './runtime-text';

export const DEFAULT_ENDPOINT = 'https://eco.taobao.com/router/rest';
const SIGN_METHODS = ['md5', 'hmac', 'hmac-sha256'] as const;
type SignMethod = (typeof SIGN_METHODS)[number];

/** The settings of a tbk-config node, expanded and defaulted (no secrets). */
export interface TbkSettings {
  endpoint: string;
  signMethod: SignMethod;
  timeoutMs: number;
  retries: number;
  retryWrites: boolean;
  maxBanSeconds: number;
  rateLimit: number;
  concurrency: number;
  partnerId?: string;
  targetAppKey?: string;
  simplify: boolean;
  clockOffsetMs: number;
}

/**
 * Where the rate limit of a config node is kept: 'local' in this runtime (no Redis URL), 'shared'
 * through Redis, or 'local-fallback' while Redis is unreachable ('connecting' until Redis first answers).
 */
export type LimitMode = 'local' | 'connecting' | 'shared' | 'local-fallback';

export interface TbkConfigNode extends Node {
  settings: TbkSettings;
  /** The shared client; throws the reason there is none (a validation TopError naming the setting). */
  getClient(): TopClient;
  /** Calls `listener` with the current LimitMode and at every change; returns the function that stops it. */
  watchLimit?(listener: (mode: LimitMode) => void): () => void;
}

const ENV_REFERENCE = /\$\{[^}]+\}/;

/**
 * `${VAR}` references in a string. Node-RED has already replaced a property that is exactly one
 * defined `${VAR}`; what is left (a reference inside a longer string, an undefined variable,
 * and every credential, which it never touches) is expanded here, once.
 */
export function expandEnv(RED: NodeAPI, node: object, value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  if (!ENV_REFERENCE.test(text)) return text;
  try {
    const expanded = RED.util.evaluateNodeProperty(text, 'env', node, undefined);
    return expanded === undefined || expanded === null ? '' : String(expanded);
  } catch {
    return text.replace(/\$\{([^}]+)\}/g, (_match, name: string) => process.env[name] ?? '');
  }
}

function numberSetting(value: unknown, fallback: number, min: number): number {
  if (value === '' || value === undefined || value === null) return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n >= min ? n : fallback;
}

function boolSetting(value: unknown, fallback: boolean): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return fallback;
}

/** Reads and defaults the editor properties of a tbk-config node. Pure, exported for tests. */
export function readSettings(RED: NodeAPI, node: object, def: NodeDef): TbkSettings {
  const str = (key: string): string => expandEnv(RED, node, def[key]).trim();
  const signMethod = str('signMethod');
  const partnerId = str('partnerId');
  const targetAppKey = str('targetAppKey');
  return {
    endpoint: str('endpoint') || DEFAULT_ENDPOINT,
    signMethod: (SIGN_METHODS as readonly string[]).includes(signMethod) ? (signMethod as SignMethod) : 'md5',
    timeoutMs: numberSetting(str('timeout'), 15000, 1),
    retries: Math.floor(numberSetting(str('retries'), 2, 0)),
    retryWrites: boolSetting(def.retryWrites, false),
    maxBanSeconds: numberSetting(str('maxBanSeconds'), 60, 0),
    rateLimit: numberSetting(str('rateLimit'), 40, 0),
    concurrency: Math.floor(numberSetting(str('concurrency'), 16, 0)),
    ...(partnerId ? { partnerId } : {}),
    ...(targetAppKey ? { targetAppKey } : {}),
    simplify: boolSetting(def.simplify, false),
    clockOffsetMs: numberSetting(str('clockOffset'), 0, Number.NEGATIVE_INFINITY) * 1000,
  };
}

/**
 * The Redis URL of the shared rate limit (property `redisUrl`, `${ENV}` expanded), '' for none. Kept
 * out of TbkSettings: it may carry a password.
 */
export function readRedisUrl(RED: NodeAPI, node: object, def: NodeDef): string {
  return expandEnv(RED, node, def.redisUrl).trim();
}

/** host:port of a Redis URL, for status and logs (never the user or password). */
export function redisHostPort(redisUrl: string): string {
  try {
    const url = new URL(redisUrl);
    return `${url.hostname}:${url.port || '6379'}`;
  } catch {
    return 'redis';
  }
}

/** `text` without the user name or password of the Redis URL, raw or URL-encoded, wherever they appear. */
export function withoutRedisCredentials(text: string, redisUrl: string): string {
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    return text;
  }
  let clean = text.split(redisUrl).join(`redis://${redisHostPort(redisUrl)}`);
  for (const part of [url.password, url.username]) {
    if (!part) continue;
    let decoded = part;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      // not percent-encoded after all
    }
    for (const form of new Set([part, decoded])) if (form.length > 0) clean = clean.split(form).join('***');
  }
  return clean;
}

export function problemWith(appKey: string, appSecret: string): TopError | undefined {
  if (!appKey) return new TopError({ kind: 'validation', param: 'appKey', ...nodeMessageFields('config.noAppKey') });
  if (!appSecret) return new TopError({ kind: 'validation', param: 'appSecret', ...nodeMessageFields('config.noAppSecret') });
  return undefined;
}
