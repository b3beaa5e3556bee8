import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const PACKAGE_NAME = '@tbkflow/node-red-taobaoke';

let found: string | undefined;

/**
 * The folder of this package (where its package.json, specs/ and examples/ are): found by walking up
 * from this file, whether it runs as TypeScript source (lib/), compiled (dist/lib/) or installed
 * (node_modules/@tbkflow/node-red-taobaoke/dist/lib/).
 */
export function packageRoot(): string {
  if (found) return found;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME)
          return (found = dir);
      } catch {
        // not a readable package.json: keep walking
      }
    }
    if (dirname(dir) === dir) throw new Error(`${PACKAGE_NAME}: no package.json of this package above ${__dirname}`);
  }
}
