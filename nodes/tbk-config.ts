import { TopError } from '../lib/errors';
import { TopClient } from '../lib/index';
import { expandEnv, problemWith, readSettings, type TbkConfigNode } from './config-settings';
import type { NodeAPI, NodeDef } from './red-types';

interface Credentials {
  appKey?: string;
  appSecret?: string;
  session?: string;
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
    this.settings = settings;

    let client: TopClient | undefined;
    let problem: TopError | undefined = problemWith(appKey, appSecret);
    if (!problem) {
      try {
        client = new TopClient({
          appKey,
          appSecret,
          endpoint: settings.endpoint,
          signMethod: settings.signMethod,
          timeoutMs: settings.timeoutMs,
          retry: { retries: settings.retries, retryWrites: settings.retryWrites, maxBanSeconds: settings.maxBanSeconds },
          rateLimit: settings.rateLimit > 0 || settings.concurrency > 0 ? { perSecond: settings.rateLimit, concurrency: settings.concurrency } : false,
          ...(settings.partnerId ? { partnerId: settings.partnerId } : {}),
          ...(settings.targetAppKey ? { targetAppKey: settings.targetAppKey } : {}),
          simplify: settings.simplify,
          clockOffsetMs: settings.clockOffsetMs,
          ...(session ? { session } : {}),
        });
      } catch (err) {
        // the client's constructor errors name a setting, never a credential value
        problem = err instanceof TopError ? err : new TopError({ kind: 'validation', param: 'config', message: `config node is invalid: ${String(err)}` });
      }
    }
    if (problem) this.error(problem.message);

    let closed = false;
    this.getClient = (): TopClient => {
      if (closed) throw new TopError({ kind: 'aborted', message: 'config node closed' });
      if (!client) throw problem ?? new TopError({ kind: 'validation', param: 'config', message: 'config node has no client' });
      return client;
    };

    this.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      const closing = client;
      client = undefined;
      if (!closing) return done();
      closing.close().then(done, done);
    });
  }
  RED.nodes.registerType('tbk-config', TbkConfig, {
    credentials: { appKey: { type: 'text' }, appSecret: { type: 'password' }, session: { type: 'password' } },
  });
};
