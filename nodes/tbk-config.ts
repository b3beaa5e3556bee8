import { TopError } from '../lib/top/errors';
import { TopClient } from '../lib/index';
import { DEFAULT_WINDOW_MS } from '../lib/limits/ratelimit';
import { createLimiterFromConfig, type RedisCallLimiter, type SharedLimitState } from '../lib/limits/redis-limiter';
import {
  configText,
  expandEnv,
  lookupEnv,
  problemWith,
  readRedisUrl,
  readSettings,
  redisHostPort,
  withoutRedisCredentials,
  type LimitMode,
  type TbkConfigCredentials,
  type TbkConfigDef,
  type TbkConfigNode,
  type TbkSettings,
} from './config-settings';
import type { NodeAPI, NodeCredentials, NodeStatus } from 'node-red';
import { localMessage, runtimeText, rememberRuntime } from './runtime-text';
import { migrateNode } from './migrations';

/** A copy for one caller: the config's error is thrown to every call, which may add its method. */
function copyOf(error: TopError): TopError {
  return new TopError({
    ...error.toJSON(),
    ...(error.messageKey ? { messageKey: error.messageKey } : {}),
    ...(error.messageArgs ? { messageArgs: error.messageArgs } : {}),
  });
}

const MAX_STATUS_TEXT = 40;

/**
 * How long a call may hold its entry in the shared limit before it stops counting (what a runtime
 * that dies with calls in flight costs the others): every attempt within its timeout, plus a window.
 */
function maxCallMs(settings: TbkSettings): number {
  return settings.timeoutMs * (settings.retries + 1) + DEFAULT_WINDOW_MS;
}

export = function (RED: NodeAPI): void {
  rememberRuntime(RED);
  function TbkConfig(this: TbkConfigNode, saved: TbkConfigDef): void {
    RED.nodes.createNode(this, saved);
    const def = migrateNode('tbk-config', saved);
    const credentials: TbkConfigCredentials = this.credentials ?? {};
    // a ${VAR} that is not set is an error of this node: every call fails with it, nothing falls back
    const problems: TopError[] = [];
    const settings = readSettings(RED, this, def, problems);
    // a credential left empty falls back to TBK_APP_KEY / TBK_APP_SECRET / TBK_SESSION, so that
    // example flows (which never carry credentials) run as imported; a filled one never does
    const fromEnvironment: string[] = [];
    const credential = (value: string | undefined, field: string, envName: string): string => {
      const raw = typeof value === 'string' ? value : '';
      if (raw.trim() !== '') {
        try {
          return expandEnv(RED, this, raw, field).trim();
        } catch (err) {
          problems.push(err as TopError);
          return '';
        }
      }
      const fallback = (lookupEnv(RED, this, envName) ?? '').trim();
      if (fallback !== '') fromEnvironment.push(envName);
      return fallback;
    };
    const appKey = credential(credentials.appKey, 'appKey', 'TBK_APP_KEY');
    const appSecret = credential(credentials.appSecret, 'appSecret', 'TBK_APP_SECRET');
    const session = credential(credentials.session, 'session', 'TBK_SESSION');
    let redisUrl = '';
    try {
      const found = readRedisUrl(RED, this, def, credentials.redisUrl);
      redisUrl = found.url;
      if (found.fromProperty)
        this.warn(
          configText(
            RED,
            'log.redisUrlInFlow',
            'the Redis URL is stored in the flow (flows.json) in plain text: open this config node and save it to move it into its encrypted credentials',
          ),
        );
    } catch (err) {
      problems.push(err as TopError);
    }
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
        const why = reason
          ? withoutRedisCredentials(reason, redisUrl)
          : runtimeText(RED, 'config.redisUnreachable', { where });
        this.warn(runtimeText(RED, 'config.localLimit', { rate: settings.rateLimit, reason: why }));
      } else if (first) {
        this.log(runtimeText(RED, 'config.limitShared', { rate: settings.rateLimit, where }));
      } else {
        this.warn(runtimeText(RED, 'config.limitSharedAgain', { where }));
      }
      for (const watcher of limitWatchers) watcher(state);
    };

    let client: TopClient | undefined;
    let limiter: RedisCallLimiter | undefined;
    let problem: TopError | undefined = problems[0] ?? problemWith(appKey, appSecret);
    if (!problem) {
      try {
        if (redisUrl && Math.floor(settings.rateLimit) < 1) {
          this.warn(runtimeText(RED, 'config.redisUnused'));
        } else if (redisUrl) {
          limitMode = 'connecting';
          limiter = createLimiterFromConfig({
            redisUrl,
            appKey,
            perSecond: settings.rateLimit,
            concurrency: settings.concurrency,
            maxCallMs: maxCallMs(settings),
            onStateChange: onLimitState,
          });
        }
        client = new TopClient({
          appKey,
          appSecret,
          endpoint: settings.endpoint,
          signMethod: settings.signMethod,
          timeoutMs: settings.timeoutMs,
          retry: {
            retries: settings.retries,
            retryWrites: settings.retryWrites,
            maxBanSeconds: settings.maxBanSeconds,
          },
          // with a shared limiter, the concurrency here only sizes the connection pool
          rateLimit:
            settings.rateLimit > 0 || settings.concurrency > 0
              ? { perSecond: settings.rateLimit, concurrency: settings.concurrency }
              : false,
          ...(limiter ? { limiter } : {}),
          ...(settings.partnerId ? { partnerId: settings.partnerId } : {}),
          ...(settings.targetAppKey ? { targetAppKey: settings.targetAppKey } : {}),
          simplify: settings.simplify,
          clockOffsetMs: settings.clockOffsetMs,
          maxResponseBytes: settings.maxResponseBytes,
          ...(session ? { session } : {}),
        });
      } catch (err) {
        // the constructors' errors name a setting, never a credential value
        problem =
          err instanceof TopError
            ? err
            : new TopError({
                kind: 'validation',
                param: 'config',
                message: `config node is invalid: ${withoutRedisCredentials(String(err), redisUrl)}`,
              });
        void limiter?.close();
        limiter = undefined;
        limitMode = 'local';
      }
    }
    // the editor draws no status for a config node: the runtime still publishes it, configStatus() reads
    // it, and the nodes using it show a problem as every call fails with it
    let status: NodeStatus = {};
    if (problem) {
      // one line, naming every variable that is not set: fixing one does not reveal the next
      this.error(
        problems.length > 1 ? problems.map((p) => localMessage(RED, p)).join('; ') : localMessage(RED, problem),
      );
      const unset = problem.messageKey === 'config.envNotSet' ? String(problem.messageArgs?.name) : undefined;
      const text =
        unset !== undefined
          ? configText(RED, 'status.envNotSet', `${unset} is not set`, { name: unset })
          : localMessage(RED, problem);
      status = {
        fill: 'red',
        shape: 'ring',
        text: text.length > MAX_STATUS_TEXT ? text.slice(0, MAX_STATUS_TEXT - 1) + '…' : text,
      };
    } else if (fromEnvironment.length > 0) {
      const names = fromEnvironment.join(', ');
      this.log(
        configText(RED, 'log.envFallback', `empty credential fields: using the environment variables ${names}`, {
          names,
        }),
      );
      status = {
        fill: 'blue',
        shape: 'ring',
        text: configText(RED, 'status.envFallback', `from env: ${names}`, { names }),
      };
    }
    this.status(status);
    this.configStatus = (): NodeStatus => ({ ...status });

    this.getClient = (): TopClient => {
      if (closed) throw new TopError({ kind: 'aborted', message: 'config node closed' });
      if (!client)
        throw problem
          ? copyOf(problem)
          : new TopError({ kind: 'validation', param: 'config', message: 'config node has no client' });
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
  const credentialTypes: NodeCredentials<TbkConfigCredentials> = {
    appKey: { type: 'text' },
    appSecret: { type: 'password' },
    session: { type: 'password' },
    redisUrl: { type: 'password' },
  };
  RED.nodes.registerType('tbk-config', TbkConfig, { credentials: credentialTypes });
};
