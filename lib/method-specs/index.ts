import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MethodSpec, Role } from './types';
import { packageRoot } from '../package-root';

export type { MethodSpec, ParamSpec, ParamKind, Role, ResponseFieldSpec, ErrorCodeSpec, PagingSpec } from './types';

/** specs/methods at the package root. */
export const SPECS_DIR = join(packageRoot(), 'specs', 'methods');

/** `taobao.tbk.dg.material.optional.upgrade` -> `tbk-dg-material-optional-upgrade` */
export function nodeTypeFor(method: string): string {
  const rest = method.startsWith('taobao.tbk.')
    ? method.slice('taobao.tbk.'.length)
    : method.replace(/^([a-z]+)\.taobao\.tbk\./, '$1.');
  return 'tbk-' + rest.replace(/\./g, '-');
}

let cache: MethodSpec[] | undefined;

/** Every method spec, sorted by method name. Read once per process. */
export function loadSpecs(dir: string = SPECS_DIR): MethodSpec[] {
  if (dir === SPECS_DIR && cache) return cache;
  const specs = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as MethodSpec)
    .sort((a, b) => (a.method < b.method ? -1 : a.method > b.method ? 1 : 0));
  if (dir === SPECS_DIR) cache = specs;
  return specs;
}

export function specsByRole(role: Role): MethodSpec[] {
  return loadSpecs().filter((s) => s.role === role);
}

export function specForMethod(method: string): MethodSpec | undefined {
  return loadSpecs().find((s) => s.method === method);
}

export function specForType(type: string): MethodSpec | undefined {
  return loadSpecs().find((s) => s.type === type);
}
