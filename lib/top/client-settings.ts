/** TopClient's options checked and resolved into the settings a client runs with (the defaults filled in). */
import { batchUrlFor } from './batch-wire';
import type { TopClientOptions } from './call-types';
import { checkEncodable } from './encode';
import { TopError } from './errors';
import { messageFields } from './messages';
import type { RateLimitOptions } from '../limits/ratelimit';
import { DEFAULT_RETRY, type RetryOptions } from './retry';
import { SIGN_METHODS, type SignMethod } from './sign';
import { DEFAULT_MAX_RESPONSE_BYTES } from './transport';

export const DEFAULT_ENDPOINT = 'https://eco.taobao.com/router/rest';
export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 40, concurrency: 16 };

/** The options of a TopClient, checked, trimmed and with their defaults. */
export interface ClientSettings {
  endpoint: string;
  /** undefined when the endpoint does not end in /router/rest and no batchEndpoint was given */
  batchEndpoint?: string;
  signMethod: SignMethod;
  appKey: string;
  appSecret: string;
  session?: string;
  partnerId?: string;
  targetAppKey?: string;
  simplify: boolean;
  timeoutMs: number;
  maxResponseBytes: number;
  clockOffsetMs: number;
  retry: RetryOptions;
  /** the in-process rate limit (unused when a limiter is given), which also sizes the connection pool */
  limits: RateLimitOptions;
}

/** The settings of a client; a validation error naming the first option that cannot be used. */
export function resolveClientSettings(options: TopClientOptions): ClientSettings {
  if (!options || typeof options.appKey !== 'string' || options.appKey.trim() === '')
    throw new TopError({ kind: 'validation', param: 'appKey', ...messageFields('client.noAppKey') });
  if (typeof options.appSecret !== 'string' || options.appSecret === '')
    throw new TopError({ kind: 'validation', param: 'appSecret', ...messageFields('client.noAppSecret') });
  const signMethod = options.signMethod ?? 'md5';
  if (!SIGN_METHODS.includes(signMethod))
    throw new TopError({
      kind: 'validation',
      param: 'signMethod',
      ...messageFields('client.signMethod', { signMethod: String(signMethod) }),
    });
  const endpoint = options.endpoint?.trim() || DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TopError({
      kind: 'validation',
      param: 'endpoint',
      ...messageFields('client.endpointNotUrl', { endpoint }),
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TopError({
      kind: 'validation',
      param: 'endpoint',
      ...messageFields('client.endpointProtocol', { endpoint }),
    });
  const batchEndpoint = options.batchEndpoint?.trim();
  if (batchEndpoint) {
    try {
      if (!/^https?:$/.test(new URL(batchEndpoint).protocol)) throw new Error('not http');
    } catch {
      throw new TopError({
        kind: 'validation',
        param: 'batchEndpoint',
        ...messageFields('client.batchEndpoint', { endpoint: batchEndpoint }),
      });
    }
  }
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (typeof maxResponseBytes !== 'number' || !Number.isFinite(maxResponseBytes) || maxResponseBytes < 1) {
    throw new TopError({
      kind: 'validation',
      param: 'maxResponseBytes',
      ...messageFields('validation.maxResponseBytes', { value: String(maxResponseBytes) }),
    });
  }
  for (const [name, value] of [
    ['appKey', options.appKey],
    ['appSecret', options.appSecret],
    ['session', options.session],
    ['partnerId', options.partnerId],
    ['targetAppKey', options.targetAppKey],
  ] as const) {
    if (typeof value === 'string') checkEncodable(name, value);
  }
  return {
    endpoint: url.toString(),
    batchEndpoint: batchEndpoint ? new URL(batchEndpoint).toString() : batchUrlFor(url.toString()),
    signMethod,
    appKey: options.appKey.trim(),
    appSecret: options.appSecret,
    session: options.session?.trim() || undefined,
    partnerId: options.partnerId?.trim() || undefined,
    targetAppKey: options.targetAppKey?.trim() || undefined,
    simplify: options.simplify === true,
    timeoutMs: options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : DEFAULT_TIMEOUT_MS,
    maxResponseBytes: Math.floor(maxResponseBytes),
    clockOffsetMs: options.clockOffsetMs ?? 0,
    retry:
      options.retry === false
        ? { ...DEFAULT_RETRY, retries: 0 }
        : { ...DEFAULT_RETRY, ...stripUndefined(options.retry ?? {}) },
    limits:
      options.rateLimit === false
        ? { perSecond: 0, concurrency: 0 }
        : { ...DEFAULT_RATE_LIMIT, ...stripUndefined(options.rateLimit ?? {}) },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
