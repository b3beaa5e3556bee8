import { resolve } from 'node:path';
import { packageRoot } from '../../lib/package-root';

/** The repository root, from dist/test/support (compiled) or test/support (source). */
export const REPO_ROOT = packageRoot();
/** The shared reference material beside the repository (../shared). */
export const SHARED_DIR = resolve(REPO_ROOT, '..', 'shared');
/** The reference data kept in the repository (copies of the shared material). */
export const REFERENCE_DIR = resolve(REPO_ROOT, 'reference');
