/** Settings of the tbk-config node: reading, `${ENV}` expansion, defaults, checks. */
import { TopError } from '../lib/top/errors';
import type { TopClient } from '../lib/index';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../lib/top/transport';
import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import { nodeMessageFields, nodeSetNamespace, statusText } from './runtime-text';

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
  /** the largest gateway answer read, raw and inflated (default 16 MiB) */
  maxResponseBytes: number;
}

/**
 * The properties the editor saves on a tbk-config node (tbk-config.html `defaults`). A number may
 * come as the text typed in the dialog and a checkbox as 'true' / 'false' (older or hand-written
 * flows); any text may hold `${VAR}` references.
 */
export interface TbkConfigProperties {
  version?: number;
  endpoint?: string;
  signMethod?: string;
  timeout?: number | string;
  retries?: number | string;
  retryWrites?: boolean | string;
  maxBanSeconds?: number | string;
  rateLimit?: number | string;
  concurrency?: number | string;
  maxResponseBytes?: number | string;
  /** where flows saved before it became a credential keep the Redis URL */
  redisUrl?: string;
  partnerId?: string;
  targetAppKey?: string;
  simplify?: boolean | string;
  clockOffset?: number | string;
}

export interface TbkConfigDef extends NodeDef, TbkConfigProperties {}

/** The credentials of a tbk-config node; each may be missing or empty. */
export interface TbkConfigCredentials {
  appKey?: string;
  appSecret?: string;
  session?: string;
  redisUrl?: string;
}

/**
 * Where the rate limit of a config node is kept: 'local' in this runtime (no Redis URL), 'shared'
 * through Redis, or 'local-fallback' while Redis is unreachable ('connecting' until Redis first answers).
 */
export type LimitMode = 'local' | 'connecting' | 'shared' | 'local-fallback';

export interface TbkConfigNode extends Node<TbkConfigCredentials> {
  settings: TbkSettings;
  /** The shared client; throws the reason there is none (a validation TopError naming the setting). */
  getClient(): TopClient;
  /** Calls `listener` with the current LimitMode and at every change; returns the function that stops it. */
  watchLimit?(listener: (mode: LimitMode) => void): () => void;
  /** What an order sync keys its checkpoint by, and the Redis it may keep it in ('' for none). */
  syncAccount?(): { appKey: string; redisUrl: string };
  /** The status the config node set: red with its error, blue when credentials come from TBK_* variables, else empty. */
  configStatus?(): NodeStatus;
}

const ENV_REFERENCE = /\$\{([^}]+)\}/g;

/**
 * The value of an environment variable as Node-RED sees it for this node: the node's group and flow
 * env first, then the global env and the process (RED.util.getSetting, the lookup behind Node-RED's
 * own `${VAR}` substitution); undefined when it is not set anywhere.
 */
export function lookupEnv(RED: NodeAPI, node: Node, name: string): string | undefined {
  let value: unknown;
  try {
    if (typeof RED.util.getSetting === 'function') {
      value = RED.util.getSetting(node, name);
    } else {
      // a runtime without getSetting: evaluateNodeProperty gives '' for a variable that is not set
      // (an env reference reads no message)
      value = RED.util.evaluateNodeProperty(`\${${name}}`, 'env', node, {});
      if (value === '' && process.env[name] === undefined) value = undefined;
    }
  } catch {
    value = process.env[name];
  }
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string'
    ? value
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value as number | boolean);
}

/** A config field that refers to an environment variable that is not set: the config node's error. */
export function unsetVariableError(name: string, field: string): TopError {
  return new TopError({
    kind: 'validation',
    param: field,
    ...nodeMessageFields('config.envNotSet', { name, field }),
  });
}

/**
 * `${VAR}` references in a string, expanded once. Node-RED has already replaced a property that is
 * exactly one set `${VAR}`; what is left (a reference inside a longer string, a variable that is not
 * set, and every credential, which it never touches) is expanded here. A variable that is not set
 * is an error naming it (a validation TopError whose param is `field`), never an empty string:
 * an endpoint `${TBK_GATEWAY}` must not quietly become the default production gateway.
 */
export function expandEnv(RED: NodeAPI, node: Node, value: unknown, field = 'setting'): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  if (!text.includes('${')) return text;
  return text.replace(ENV_REFERENCE, (_match, name: string) => {
    const found = lookupEnv(RED, node, name);
    if (found === undefined) throw unsetVariableError(name, field);
    return found;
  });
}

/** A text of the config node in the runtime's language (its tbk-config catalogue), else the English `fallback`. */
export function configText(
  RED: NodeAPI,
  key: string,
  fallback: string,
  substitutions: Record<string, string | number> = {},
): string {
  return statusText(RED, `${nodeSetNamespace('tbk-config')}:tbk-config.${key}`, fallback, substitutions);
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

/**
 * Reads and defaults the editor properties of a tbk-config node. Pure, exported for tests. A
 * `${VAR}` that is not set throws its error; given `problems`, the error is added there instead
 * and the setting takes its default (the node then makes no calls at all).
 */
export function readSettings(RED: NodeAPI, node: Node, def: TbkConfigProperties, problems?: TopError[]): TbkSettings {
  const str = (key: keyof TbkConfigProperties): string => {
    try {
      return expandEnv(RED, node, def[key], key).trim();
    } catch (err) {
      if (!problems || !(err instanceof TopError)) throw err;
      problems.push(err);
      return '';
    }
  };
  const signMethod = str('signMethod');
  const partnerId = str('partnerId');
  const targetAppKey = str('targetAppKey');
  const endpoint = str('endpoint');
  // an endpoint made only of variables that are set but empty would otherwise fall back to production
  if (endpoint === '' && String(def.endpoint ?? '').trim() !== '' && !problems?.some((p) => p.param === 'endpoint')) {
    const error = new TopError({
      kind: 'validation',
      param: 'endpoint',
      ...nodeMessageFields('config.endpointEmpty', { endpoint: String(def.endpoint).trim() }),
    });
    if (!problems) throw error;
    problems.push(error);
  }
  return {
    endpoint: endpoint || DEFAULT_ENDPOINT,
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
    maxResponseBytes: Math.floor(numberSetting(str('maxResponseBytes'), DEFAULT_MAX_RESPONSE_BYTES, 1)),
  };
}

/**
 * The Redis URL of the shared rate limit, '' for none: the credential `redisUrl`, else (flows saved
 * before it became a credential) the property `redisUrl`; `${ENV}` expanded. Kept out of TbkSettings:
 * it may carry a password. `fromProperty` says the URL still sits in the flow (in plain text).
 */
export function readRedisUrl(
  RED: NodeAPI,
  node: Node,
  def: TbkConfigProperties,
  credential?: string,
): { url: string; fromProperty: boolean } {
  if (typeof credential === 'string' && credential.trim() !== '')
    return { url: expandEnv(RED, node, credential, 'redisUrl').trim(), fromProperty: false };
  const legacy = typeof def.redisUrl === 'string' ? def.redisUrl.trim() : '';
  return { url: legacy === '' ? '' : expandEnv(RED, node, legacy, 'redisUrl').trim(), fromProperty: legacy !== '' };
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
  if (!appSecret)
    return new TopError({ kind: 'validation', param: 'appSecret', ...nodeMessageFields('config.noAppSecret') });
  return undefined;
}
