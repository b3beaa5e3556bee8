/**
 * System programs some suites need (redis-server, Chromium): found on the PATH, or else the suite is
 * skipped and counted, so that `npm test` passes on a machine with only Node and npm. Under CI=true a
 * missing program fails the suite instead (.ci/run installs both).
 *
 * TBK_HIDE_TOOLS=redis-server,chromium makes them count as missing (to try the skip path on a machine
 * that has them); TBK_CHROMIUM names a Chromium binary outside the PATH.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type Tool = 'redis-server' | 'chromium';

const COMMANDS: Record<Tool, string[]> = {
  'redis-server': ['redis-server'],
  chromium: ['chromium', 'chromium-browser'],
};

export const INSTALL_HINTS: Record<Tool, string> = {
  'redis-server': 'apt-get install -y --no-install-recommends redis-server',
  chromium: 'apt-get install -y --no-install-recommends chromium',
};

function hidden(tool: Tool): boolean {
  const names = (process.env.TBK_HIDE_TOOLS ?? '').split(',').map((name) => name.trim());
  // TBK_SKIP_REDIS=1: the earlier switch for the same thing
  return names.includes(tool) || (tool === 'redis-server' && process.env.TBK_SKIP_REDIS === '1');
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The program's path, or undefined when it is not installed (or hidden). */
export function toolPath(tool: Tool): string | undefined {
  if (hidden(tool)) return undefined;
  if (tool === 'chromium' && process.env.TBK_CHROMIUM && executable(process.env.TBK_CHROMIUM))
    return process.env.TBK_CHROMIUM;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const command of COMMANDS[tool]) {
      const candidate = join(dir, command);
      if (executable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** Tests skipped per missing program, for the line printed at the end of the run. */
const skipped = new Map<Tool, number>();

export function skippedTests(): ReadonlyMap<Tool, number> {
  return skipped;
}

/** "14 tests skipped: install redis-server / chromium to run them", or undefined when none was. */
export function skippedLine(counts: ReadonlyMap<Tool, number> = skipped): string | undefined {
  let total = 0;
  for (const count of counts.values()) total += count;
  if (total === 0) return undefined;
  const tools = (Object.keys(COMMANDS) as Tool[]).filter((tool) => counts.has(tool));
  return `${total} test${total === 1 ? '' : 's'} skipped: install ${tools.join(' / ')} to run them`;
}

function isCi(): boolean {
  return /^(1|true)$/i.test(process.env.CI ?? '');
}

/**
 * For the `before` hook of a suite that needs `tool`: returns its path when it is installed. When it
 * is not, the whole suite is skipped and counted, except under CI=true, where the hook fails.
 */
export function requireTool(context: Mocha.Context, tool: Tool): string {
  const path = toolPath(tool);
  if (path) return path;
  if (isCi()) throw new Error(`${tool} is required under CI=true and is not installed: ${INSTALL_HINTS[tool]}`);
  const suite = context.test?.parent;
  skipped.set(tool, (skipped.get(tool) ?? 0) + (suite ? suite.total() : 1));
  context.skip();
}
