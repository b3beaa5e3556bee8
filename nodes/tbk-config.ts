import { TopError } from '../lib/errors';
import { TopClient } from '../lib/index';
import { DEFAULT_WINDOW_MS } from '../lib/ratelimit';
import { createLimiterFromConfig, type RedisCallLimiter, type SharedLimitState } from '../lib/redis-limiter';
import { expandEnv, problemWith, readRedisUrl, readSettings, redisHostPort, withoutRedisCredentials, type LimitMode, type TbkConfigNode, type TbkSettings } from './config-settings';
import type { NodeAPI, NodeDef } from './red-types';

interface Credentials {
  appKey?: string;
  appSecret?: string;
  session?: string;
}

/**
 * How long a call may hold its entry in the shared limit before it stops counting (what a runtime
 * that dies with calls in flight costs the others): every attempt within its timeout, plus a window.
 */
function maxCallMs(settings: TbkSettings): number {
  return settings.timeoutMs * (settings.retries + 1) + DEFAULT_WINDOW_MS;
}

export = function (RED: NodeAPI): void {
  function TbkConfig(this: TbkConfigNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const credentials: Credentials = this.credentials ?? {};
    const settings = readSettings(RED, this, def);
    // an empty credential falls back to TBK_APP_KEY / TBK_APP_SECRET / TBK_SESSION, so that
    // example flows (which never carry credentials) run as imported
    const credential = (value: string | undefined, envName: string): string => expandEnv(RED, this, value).trim() || (process.env[envName] ?? '').trim();
    const appKey = credential(credentials.appKey, 'TBK_APP_KEY');
    const appSecret = credential(credentials.appSecret, 'TBK_APP_SECRET');
    const session = credential(credentials.session, 'TBK_SESSION');
    const redisUrl = readRedisUrl(RED, this, def);
    this.settings = settings;

    let limitMode: LimitMode = 'local';
    const limitWatchers = new Set<(mode: LimitMode) => void>();
    let closed = false;
    const onLimitState = (state: SharedLimitState, reason?: string): void => {
      if (closed) return;
      const first = limitMode === 'connecting';
      limitMode = state;
      const where = `Redis ${redisHostPort(redisUrl)}`;
      if (state === 'local-fallback') {
        const why = reason ? withoutRedisCredentials(reason, redisUrl) : `${where} unreachable`;
        this.warn(`rate limit is local to this Node-RED (${settings.rateLimit}/s here alone) until Redis answers again: ${why}`);
      } else if (first) {
        this.log(`rate limit of ${settings.rateLimit}/s shared through ${where}`);
      } else {
        this.warn(`rate limit shared again through ${where}`);
      }
      for (const watcher of limitWatchers) watcher(state);
    };

    let client: TopClient | undefined;
    let limiter: RedisCallLimiter | undefined;
    let problem: TopError | undefined = problemWith(appKey, appSecret);
    if (!problem) {
      try {
        if (redisUrl && Math.floor(settings.rateLimit) < 1) {
          this.warn('the Redis URL is not used: the rate limit is off (0)');
        } else if (redisUrl) {
          limitMode = 'connecting';
          limiter = createLimiterFromConfig({ redisUrl, appKey, perSecond: settings.rateLimit, concurrency: settings.concurrency, maxCallMs: maxCallMs(settings), onStateChange: onLimitState });
        }
        client = new TopClient({
          appKey,
          appSecret,
          endpoint: settings.endpoint,
          signMethod: settings.signMethod,
          timeoutMs: settings.timeoutMs,
          retry: { retries: settings.retries, retryWrites: settings.retryWrites, maxBanSeconds: settings.maxBanSeconds },
          // with a shared limiter, the concurrency here only sizes the connection pool
          rateLimit: settings.rateLimit > 0 || settings.concurrency > 0 ? { perSecond: settings.rateLimit, concurrency: settings.concurrency } : false,
          ...(limiter ? { limiter } : {}),
          ...(settings.partnerId ? { partnerId: settings.partnerId } : {}),
          ...(settings.targetAppKey ? { targetAppKey: settings.targetAppKey } : {}),
          simplify: settings.simplify,
          clockOffsetMs: settings.clockOffsetMs,
          ...(session ? { session } : {}),
        });
      } catch (err) {
        // the constructors' errors name a setting, never a credential value
        problem = err instanceof TopError ? err : new TopError({ kind: 'validation', param: 'config', message: `config node is invalid: ${withoutRedisCredentials(String(err), redisUrl)}` });
        void limiter?.close();
        limiter = undefined;
        limitMode = 'local';
      }
    }
    if (problem) this.error(problem.message);

    this.getClient = (): TopClient => {
      if (closed) throw new TopError({ kind: 'aborted', message: 'config node closed' });
      if (!client) throw problem ?? new TopError({ kind: 'validation', param: 'config', message: 'config node has no client' });
      return client;
    };

    this.syncAccount = () => ({ appKey, redisUrl });

    this.watchLimit = (listener: (mode: LimitMode) => void): (() => void) => {
      limitWatchers.add(listener);
      listener(limitMode);
      return () => limitWatchers.delete(listener);
    };

    this.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      limitWatchers.clear();
      const closingClient = client;
      const closingLimiter = limiter;
      client = undefined;
      limiter = undefined;
      // the client aborts its calls; the limiter then quits Redis once their entries are released
      void (async () => {
        await closingClient?.close().catch(() => undefined);
        await closingLimiter?.close().catch(() => undefined);
      })().then(done, done);
    });
  }
  RED.nodes.registerType('tbk-config', TbkConfig, {
    credentials: { appKey: { type: 'text' }, appSecret: { type: 'password' }, session: { type: 'password' } },
  });
};
