/**
 * Copies the hand-written editor files beside the generated ones: the node sets' HTML
 * (nodes/*.html), their help (nodes/locales/<lang>/*.html) and the icons (icons/, which Node-RED
 * looks for beside each node set's .js file). The hand-written catalogues are written by
 * locale-catalogs.ts (with the palette titles); the UI strings files are build inputs only.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function copyTree(from: string, to: string, filter: (name: string) => boolean): string[] {
  const copied: string[] = [];
  if (!existsSync(from)) return copied;
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    const target = join(to, entry);
    if (statSync(source).isDirectory()) {
      copied.push(...copyTree(source, target, filter));
    } else if (filter(entry)) {
      mkdirSync(to, { recursive: true });
      copyFileSync(source, target);
      copied.push(target);
    }
  }
  return copied;
}

/** The files copied from the package root `rootDir` into `outDir`, as their paths there. */
export function copyEditorFiles(rootDir: string, outDir: string): string[] {
  const nodesDir = join(rootDir, 'nodes');
  const files: string[] = [];
  if (existsSync(nodesDir)) {
    for (const entry of readdirSync(nodesDir)) {
      if (entry.endsWith('.html')) {
        mkdirSync(outDir, { recursive: true });
        copyFileSync(join(nodesDir, entry), join(outDir, entry));
        files.push(join(outDir, entry));
      }
    }
  }
  files.push(...copyTree(join(nodesDir, 'locales'), join(outDir, 'locales'), (name) => name.endsWith('.html')));
  files.push(
    ...copyTree(
      join(rootDir, 'icons'),
      join(outDir, 'icons'),
      (name) => name.endsWith('.svg') || name.endsWith('.png'),
    ),
  );
  return files;
}
