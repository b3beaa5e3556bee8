/**
 * Bringing a node's saved configuration up to the shape this version of the package reads. Every
 * node type carries a `version` property (set by the editor); a node saved at version v gets every
 * migration of its type whose version is above v, in order. Runtime only: the flow file is rewritten
 * when the user next deploys from the editor, which saves the current version.
 */
import type { NodeDef } from 'node-red';

export interface Migration<C = void> {
  /** the configuration version this migration produces */
  version: number;
  up(config: Record<string, unknown>, context: C): Record<string, unknown>;
}

/** The migrated copy of `config` (a node's saved properties), its `version` the newest it reached (at least `current`). */
export function migrateConfig<C>(
  config: object,
  migrations: ReadonlyArray<Migration<C>>,
  current: number,
  context: C,
): Record<string, unknown> {
  let out: Record<string, unknown> = { ...config };
  let version = typeof out.version === 'number' ? out.version : Number(out.version) || 0;
  for (const migration of migrations) {
    if (migration.version > version) {
      out = migration.up(out, context);
      version = migration.version;
    }
  }
  out.version = Math.max(version, current);
  return out;
}

/**
 * The hand-written nodes' versions and migrations. Version 1 is the first versioned shape of each: a
 * node saved before it (no `version`) reads the same, so it is only stamped.
 *  - tbk-config 1: the Redis URL moved from the property `redisUrl` (flows.json) into the credential
 *    of the same name; the runtime still reads the property while the credential is empty.
 *  - tbk-api 1: as before.
 *  - tbk-order-sync 1: windows default to 180 minutes (a saved windowMinutes is kept); `leaseSeconds`.
 */
export const HAND_WRITTEN: Readonly<
  Record<'tbk-config' | 'tbk-api' | 'tbk-order-sync', { version: number; migrations: ReadonlyArray<Migration> }>
> = {
  'tbk-config': { version: 1, migrations: [] },
  'tbk-api': { version: 1, migrations: [] },
  'tbk-order-sync': { version: 1, migrations: [] },
};

/** A hand-written node's saved configuration, migrated to the current version. */
export function migrateNode<D extends NodeDef>(type: keyof typeof HAND_WRITTEN, def: D): D {
  const { version, migrations } = HAND_WRITTEN[type];
  return migrateConfig(def, migrations, version, undefined) as D;
}
