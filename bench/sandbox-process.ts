/**
 * The benchmark's gateway, in a process of its own: the package's sandbox on 127.0.0.1 (signature
 * and timestamp checked on every call), with the search and tpwd answers replaced by the bodies of
 * bench/bodies.ts. Driven over IPC by run.ts (see protocol.ts).
 */
import { DEFAULT_APP, startSandbox } from '../lib/sandbox/index';
import { SEARCH_METHOD, TPWD_METHOD, searchBodies, tpwdBody, variantOf } from './bodies';
import type { SandboxCommand, SandboxCount, SandboxReady } from './protocol';

async function main(): Promise<void> {
  const sandbox = await startSandbox({
    port: 0,
    apps: [DEFAULT_APP],
    // Not every contender asks for gzip (the peer and the http request node do not): answering
    // all of them uncompressed keeps the gateway's work per call the same for every contender.
    gzip: false,
    recordLimit: 1,
  });
  const search = searchBodies();
  const tpwd = tpwdBody();
  // a function answer is served as it is (a plain body would be cloned on every call)
  sandbox.setResponse(SEARCH_METHOD, (params: Record<string, string>) => search[variantOf(params.q)]);
  sandbox.setResponse(TPWD_METHOD, () => tpwd);

  const send = (message: SandboxReady | SandboxCount): void => {
    process.send?.(message);
  };
  const cpuMicros = (): number => {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  };
  let cpuAtReset = cpuMicros();
  process.on('message', (command: SandboxCommand) => {
    if (command.type === 'reset') {
      // also keeps the per-call bookkeeping (a list of call start times) short
      sandbox.resetStats();
      cpuAtReset = cpuMicros();
      send({ type: 'count', totalCalls: 0, errorsByCode: {}, cpuMicros: 0 });
    } else if (command.type === 'count') {
      const stats = sandbox.stats();
      send({
        type: 'count',
        totalCalls: stats.totalCalls,
        errorsByCode: stats.errorsByCode,
        cpuMicros: cpuMicros() - cpuAtReset,
      });
    } else if (command.type === 'close') {
      void sandbox.close().then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => void sandbox.close().then(() => process.exit(0)));
  send({ type: 'ready', url: sandbox.url });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
