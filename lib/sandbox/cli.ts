#!/usr/bin/env node
/** tbk-sandbox [--port 8787] [--secrets-file FILE] [--fault kind[:prob]]... [--seed N] [--no-orders] [--quiet]; secrets from TBK_SANDBOX_* */
import { readFileSync } from 'node:fs';
import { DEFAULT_APP, startSandbox } from './server';
import { parseFaultArg, type FaultRule } from './faults';

const USAGE = `Usage: tbk-sandbox [--port 8787] [--secrets-file FILE] [--app-key KEY]
                   [--fault kind[:probability]]... [--seed N] [--no-orders] [--quiet]

A local Taobao Open Platform (TOP) gateway on 127.0.0.1 for 淘宝客 flows: it checks signatures,
timestamps and required parameters, answers the documented examples, and injects faults.
Order queries (taobao.tbk.order.details.get and the sc variant) are answered from a generated order
book that follows the clock, unless --no-orders is given (then the documented example page).
Fault kinds: latency http500 http502 reset malformed truncated empty throttle isp tbk-throttle business top-error

Secrets (kept out of the command line, which every user of the machine sees in ps):
  TBK_SANDBOX_APP_KEY, TBK_SANDBOX_APP_SECRET   the app the sandbox accepts (default sandbox-app / sandbox-secret)
  TBK_SANDBOX_SESSIONS                          the valid sessions, comma-separated (default: any)
  TBK_SANDBOX_TOKEN                             a token the control endpoints /__sandbox/... require
  --secrets-file FILE                           the same as JSON: {"appKey", "appSecret", "sessions": [...], "token"}
--app-secret, --session and --token still work, with a warning.`;

/** Options that carry a secret: accepted on the command line, with a warning. */
const SECRET_FLAGS: Record<string, string> = {
  '--app-secret': 'TBK_SANDBOX_APP_SECRET',
  '--session': 'TBK_SANDBOX_SESSIONS',
  '--token': 'TBK_SANDBOX_TOKEN',
};

interface CliArgs {
  port: number;
  appKey: string;
  appSecret: string;
  sessions: string[];
  token?: string;
  faults: FaultRule[];
  seed?: number;
  liveOrders: boolean;
  quiet: boolean;
  /** the secret options given on the command line */
  secretFlags: string[];
}

interface Secrets {
  appKey?: string;
  appSecret?: string;
  sessions?: string[];
  token?: string;
}

function secretsFromEnvironment(env: NodeJS.ProcessEnv): Secrets {
  const out: Secrets = {};
  if (env.TBK_SANDBOX_APP_KEY) out.appKey = env.TBK_SANDBOX_APP_KEY;
  if (env.TBK_SANDBOX_APP_SECRET) out.appSecret = env.TBK_SANDBOX_APP_SECRET;
  if (env.TBK_SANDBOX_SESSIONS)
    out.sessions = env.TBK_SANDBOX_SESSIONS.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (env.TBK_SANDBOX_TOKEN) out.token = env.TBK_SANDBOX_TOKEN;
  return out;
}

function secretsFromFile(path: string): Secrets {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`--secrets-file ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`--secrets-file ${path}: expected a JSON object {"appKey", "appSecret", "sessions", "token"}`);
  const file = parsed as Record<string, unknown>;
  const out: Secrets = {};
  for (const key of ['appKey', 'appSecret', 'token'] as const) {
    if (file[key] === undefined) continue;
    if (typeof file[key] !== 'string' || file[key] === '')
      throw new Error(`--secrets-file ${path}: "${key}" must be a non-empty string`);
    out[key] = file[key];
  }
  if (file.sessions !== undefined) {
    if (!Array.isArray(file.sessions) || !file.sessions.every((s) => typeof s === 'string' && s !== ''))
      throw new Error(`--secrets-file ${path}: "sessions" must be a list of non-empty strings`);
    out.sessions = file.sessions as string[];
  }
  return out;
}

/** The command line over the secrets file over the environment over the sandbox's test app. */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  const fromEnv = secretsFromEnvironment(env);
  const args: CliArgs = {
    port: 8787,
    appKey: fromEnv.appKey ?? DEFAULT_APP.appKey,
    appSecret: fromEnv.appSecret ?? DEFAULT_APP.appSecret,
    sessions: fromEnv.sessions ?? [],
    ...(fromEnv.token ? { token: fromEnv.token } : {}),
    faults: [],
    liveOrders: true,
    quiet: false,
    secretFlags: [],
  };
  const fromArgv: Secrets = {};
  let fromFile: Secrets = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0..65535');
        args.port = port;
        break;
      }
      case '--app-key':
        fromArgv.appKey = value();
        break;
      case '--app-secret':
        fromArgv.appSecret = value();
        args.secretFlags.push(flag);
        break;
      case '--session':
        (fromArgv.sessions ??= []).push(value());
        args.secretFlags.push(flag);
        break;
      case '--token':
        fromArgv.token = value();
        args.secretFlags.push(flag);
        break;
      case '--secrets-file':
        fromFile = secretsFromFile(value());
        break;
      case '--fault':
        args.faults.push(parseFaultArg(value()));
        break;
      case '--seed':
        args.seed = Number(value());
        break;
      case '--no-orders':
        args.liveOrders = false;
        break;
      case '--quiet':
        args.quiet = true;
        break;
      case '-h':
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`Unknown option ${flag}`);
    }
  }
  for (const source of [fromFile, fromArgv]) {
    if (source.appKey !== undefined) args.appKey = source.appKey;
    if (source.appSecret !== undefined) args.appSecret = source.appSecret;
    if (source.sessions !== undefined) args.sessions = source.sessions;
    if (source.token !== undefined) args.token = source.token;
  }
  args.secretFlags = [...new Set(args.secretFlags)];
  return args;
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  for (const flag of args.secretFlags)
    console.error(
      `Warning: ${flag} is visible to every user of this machine (ps, /proc); set ${SECRET_FLAGS[flag]} or use --secrets-file instead.`,
    );
  const sandbox = await startSandbox({
    port: args.port,
    apps: [{ appKey: args.appKey, appSecret: args.appSecret }],
    sessions: args.sessions.length > 0 ? args.sessions : undefined,
    faults: args.faults,
    seed: args.seed,
    liveOrders: args.liveOrders,
    ...(args.token ? { controlToken: args.token } : {}),
    log: args.quiet ? undefined : (line) => console.log(line),
  });
  console.log(`TOP sandbox gateway: ${sandbox.url}`);
  // The sandbox credentials are test values made up for this local gateway, so printing them is fine;
  // a secret of the user's own is not echoed.
  console.log(`  App Key:    ${args.appKey}`);
  console.log(
    `  App Secret: ${args.appSecret === DEFAULT_APP.appSecret ? DEFAULT_APP.appSecret : '(your own, not shown)'}`,
  );
  console.log(
    `  Control:    ${sandbox.origin}/__sandbox/stats, /__sandbox/faults, /__sandbox/reset${args.token ? ' (with the control token)' : ''}`,
  );
  if (args.faults.length > 0)
    console.log(
      `  Faults:     ${args.faults.map((f) => f.kind + (f.probability !== undefined ? ':' + f.probability : '')).join(' ')}`,
    );
  const stop = (): void => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  void main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exitCode = 1;
  });
}
