/**
 * `npm run soak`: the long fault soak (default 20 000 messages) through method nodes in a Node-RED
 * runtime against the sandbox, printing the figures; exits 1 on any violation.
 * Environment: SOAK_MESSAGES (default 20000), SOAK_SEED (default 1), SOAK_WINDOW (messages in flight, default 8).
 */
import { formatReport, runSoak } from '../test/support/soak';

async function main(): Promise<void> {
  const messages = Number(process.env.SOAK_MESSAGES) || 20_000;
  const seed = Number(process.env.SOAK_SEED) || 1;
  const window = Number(process.env.SOAK_WINDOW) || 8;
  console.log(`fault soak: ${messages} messages, seed ${seed}, ${window} in flight`);
  const report = await runSoak({ messages, seed, window, progress: (line) => console.log(`  ${line}`) });
  console.log(formatReport(report));
  if (report.violations.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
