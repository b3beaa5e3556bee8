/**
 * Stands in for @types/node-red__editor-client (tsconfig.json `paths`). @types/node-red imports those
 * typings of the editor's browser API, and they declare `/// <reference lib="dom" />`, which would
 * put the browser's globals (Blob, FormData, document ...) in place of Node's in every file of this
 * Node-only program. This package's editor code is plain JavaScript in the nodes' .html files and
 * uses none of them.
 */
export {};
