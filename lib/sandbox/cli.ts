#!/usr/bin/env node
/** tbk-sandbox [--port 8787] [--app-key K --app-secret S] [--session S]... [--fault kind[:prob]]... [--seed N] [--no-orders] [--quiet] */
import { DEFAULT_APP, startSandbox } from './server';
import { parseFaultArg, type FaultRule } from './faults';

const USAGE = `Usage: tbk-sandbox [--port 8787] [--app-key KEY --app-secret SECRET] [--session S]...
                   [--fault kind[:probability]]... [--seed N] [--no-orders] [--quiet]

A local Taobao Open Platform (TOP) gateway on 127.0.0.1 for 淘宝客 flows: it checks signatures,
timestamps and required parameters, answers the documented examples, and injects faults.
Order queries (taobao.tbk.order.details.get and the sc variant) are answered from a generated order
book that follows the clock, unless --no-orders is given (then the documented example page).
Fault kinds: latency http500 http502 reset malformed truncated empty throttle isp tbk-throttle business top-error`;

interface CliArgs {
  port: number;
  appKey: string;
  appSecret: string;
  sessions: string[];
  faults: FaultRule[];
  seed?: number;
  liveOrders: boolean;
  quiet: boolean;
}

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { port: 8787, appKey: DEFAULT_APP.appKey, appSecret: DEFAULT_APP.appSecret, sessions: [], faults: [], liveOrders: true, quiet: false };
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
      case '--app-key': args.appKey = value(); break;
      case '--app-secret': args.appSecret = value(); break;
      case '--session': args.sessions.push(value()); break;
      case '--fault': args.faults.push(parseFaultArg(value())); break;
      case '--seed': args.seed = Number(value()); break;
      case '--no-orders': args.liveOrders = false; break;
      case '--quiet': args.quiet = true; break;
      case '-h':
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`Unknown option ${flag}`);
    }
  }
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
  const sandbox = await startSandbox({
    port: args.port,
    apps: [{ appKey: args.appKey, appSecret: args.appSecret }],
    sessions: args.sessions.length > 0 ? args.sessions : undefined,
    faults: args.faults,
    seed: args.seed,
    liveOrders: args.liveOrders,
    log: args.quiet ? undefined : (line) => console.log(line),
  });
  console.log(`TOP sandbox gateway: ${sandbox.url}`);
  // The sandbox credentials are test values made up for this local gateway, so printing them is fine;
  // a secret passed with --app-secret is the user's own and is not echoed.
  console.log(`  App Key:    ${args.appKey}`);
  console.log(`  App Secret: ${args.appSecret === DEFAULT_APP.appSecret ? DEFAULT_APP.appSecret : '(as given with --app-secret)'}`);
  console.log(`  Control:    ${sandbox.origin}/__sandbox/stats, /__sandbox/faults, /__sandbox/reset`);
  if (args.faults.length > 0) console.log(`  Faults:     ${args.faults.map((f) => f.kind + (f.probability !== undefined ? ':' + f.probability : '')).join(' ')}`);
  const stop = (): void => {
    sandbox.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exitCode = 1;
});
