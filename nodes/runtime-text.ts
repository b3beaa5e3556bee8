/**
 * Texts the nodes show at runtime (error messages, status texts) in Node-RED's language: RED._
 * lookups in the tbk-api node set's catalogue (nodes/locales/<lang>/tbk-api.json), which follows
 * Node-RED's `lang` setting, with the English texts as the fallback.
 *
 * An error's text is found by its messageKey under "errors" (errors.transport.timeout ...), filled
 * with its messageArgs; lib/messages.ts explains the `_key` values that name a part of a sentence.
 */
import type { TopError } from '../lib/top/errors';
import { MESSAGES, fillTemplate, resolveArgs, type MessageArgs } from '../lib/top/messages';
import type { NodeAPI } from 'node-red';
import { PACKAGE_NAME } from '../lib/package-root';

/** English texts of the messages the nodes themselves give (the lib's are in lib/messages.ts). */
export const NODE_MESSAGES: Readonly<Record<string, string>> = {
  'node.noConfig': 'no tbk-config node selected',
  'node.noMethod': 'no method: set it in the node or in msg.method',
  'node.closed': 'node closed while the call was in flight',
  'node.payloadNotObject': '__where__ must be an object of parameters, not __what__',
  'node.forbiddenInNode': 'the node has a forbidden parameter name "__param__"',
  'node.forbiddenIn': '__where__ has a forbidden parameter name "__param__"',
  'node.sessionNotString': 'msg.session must be a string',
  'node.rowFailed': 'parameter __param__ (__type__): __reason__',
  'node.rowNotNumber': 'parameter __param__: "__value__" is not a number',
  'node.value.string': 'a string',
  'node.value.number': 'a number',
  'node.value.boolean': 'a boolean',
  'node.value.bigint': 'a bigint',
  'node.value.buffer': 'a Buffer',
  'config.noAppKey': 'config node has no App Key (set it in the config node, or the TBK_APP_KEY environment variable)',
  'config.noAppSecret':
    'config node has no App Secret (set it in the config node, or the TBK_APP_SECRET environment variable)',
  // the warnings and log lines of the config node's shared rate limit (nodes/tbk-config.ts)
  'config.localLimit':
    'rate limit is local to this Node-RED (__rate__/s here alone) until Redis answers again: __reason__',
  'config.redisUnreachable': '__where__ unreachable',
  'config.limitShared': 'rate limit of __rate__/s shared through __where__',
  'config.limitSharedAgain': 'rate limit shared again through __where__',
  'config.redisUnused': 'the Redis URL is not used: the rate limit is off (0)',
  // tbk-order-sync
  'sync.gap': 'order sync gap __start__ - __end__: __reason__',
  'sync.queueFull': 'too many order sync runs waiting (__count__)',
  'sync.backfillPayload': 'a backfill takes msg.payload = {from, to}',
  'sync.backfillFrom':
    'a backfill needs msg.payload.from (or the node\'s Backfill from): epoch ms, a Date or "yyyy-MM-dd HH:mm:ss" (GMT+8)',
  'sync.backfillTo': 'msg.payload.to is not a time: epoch ms, a Date or "yyyy-MM-dd HH:mm:ss" (GMT+8)',
  'sync.backfillOrder': 'a backfill needs from < to',
  'sync.invalidCheckpoint':
    'the stored checkpoint is not valid (__problem__): the sync starts afresh from the lookback',
  'sync.checkpointFile': 'the context store "__store__" does not persist (memory): the checkpoint is kept in __where__',
  'sync.checkpointAt': 'checkpoint in __where__',
  'config.envNotSet': "__name__ is not set (the config node's __field__ refers to ${__name__})",
  'config.endpointEmpty': "The config node's endpoint __endpoint__ is empty once its variables are expanded",
};

const ENGLISH: Readonly<Record<string, string>> = { ...MESSAGES, ...NODE_MESSAGES };

/** The fields that give a TopError made by a node its text (as lib's messageFields does for the lib). */
export function nodeMessageFields(
  key: string,
  args: MessageArgs = {},
): { message: string; messageKey: string; messageArgs: MessageArgs } {
  return { message: englishText(key, args), messageKey: key, messageArgs: args };
}

/** The English text of a message key of the lib or of the nodes. */
export function englishText(key: string, args: MessageArgs = {}): string {
  const render = (k: string, values: MessageArgs): string => fillTemplate(ENGLISH[k] ?? k, values);
  return render(key, resolveArgs(args, render));
}

/** The package's name: Node-RED names the i18n namespaces of its node sets after it. */
export function packageName(): string {
  return PACKAGE_NAME;
}

/** The i18n namespace of one of this package's node sets (its name in package.json `node-red.nodes`). */
export function nodeSetNamespace(setName: string): string {
  return `${packageName()}/${setName}`;
}

/**
 * The runtime texts live in the tbk-api node set's catalogue; a key with a namespace is looked up
 * there from every node set (RED._ prefixes only keys without one).
 */
export const CATALOGUE = `${packageName()}/tbk-api`;

/**
 * RED._ of a key of the catalogue (or of another node set's, for a key written with its namespace,
 * "<namespace>:<key>"), or undefined when it has no text for it (no catalogue, no RED._).
 */
function lookup(RED: NodeAPI, key: string, values?: MessageArgs): string | undefined {
  try {
    const text = RED._?.(key.includes(':') ? key : `${CATALOGUE}:${key}`, values);
    if (typeof text === 'string' && text !== '' && !text.endsWith(key.slice(key.indexOf(':') + 1))) return text;
  } catch {
    // no catalogue: the English text is used
  }
  return undefined;
}

/**
 * A message in Node-RED's language: errors.<key> of the catalogue (a key with a namespace,
 * "<namespace>:<key>", as it is, in another node set's catalogue), else its English text
 * (`fallback` for a key not known here).
 */
export function runtimeText(RED: NodeAPI, key: string, args: MessageArgs = {}, fallback?: string): string {
  const entry = (k: string): string => (k.includes(':') ? k : `errors.${k}`);
  const render = (k: string, values: MessageArgs): string =>
    lookup(RED, entry(k), values) ??
    (ENGLISH[k] !== undefined || fallback === undefined ? fillTemplate(ENGLISH[k] ?? k, values) : fallback);
  const values = resolveArgs(args, render);
  return (
    lookup(RED, entry(key), values) ??
    (ENGLISH[key] !== undefined ? fillTemplate(ENGLISH[key], values) : (fallback ?? key))
  );
}

/**
 * The message of an error in Node-RED's language (its English message when it has no key, the catalogue
 * no text, or there is no runtime).
 */
export function localMessage(RED: NodeAPI | undefined, err: TopError): string {
  return err.messageKey && RED ? runtimeText(RED, err.messageKey, err.messageArgs ?? {}, err.message) : err.message;
}

let registered: NodeAPI | undefined;

/**
 * Remembers the runtime a node set of this package was registered with (each set's module calls it
 * first), for the code that is handed only a node: reportFailure. One process runs one Node-RED.
 */
export function rememberRuntime(RED: NodeAPI): void {
  registered = RED;
}

/** The runtime the package's node sets were registered with; undefined outside Node-RED (texts in English). */
export function registeredRuntime(): NodeAPI | undefined {
  return registered;
}

const statusTemplates = new Map<string, string>();

/**
 * A status text: RED._ when the catalogue has the key (a key of another node set's catalogue with its
 * namespace: `${packageName()}/tbk-order-sync:tbk-order-sync.status.synced`), else the English text.
 * Each key is looked up once (the runtime's language does not change) and its placeholders filled per
 * call: i18next on every message was a tenth of a method node's CPU.
 */
export function statusText(
  RED: NodeAPI,
  key: string,
  fallback: string,
  substitutions: Record<string, unknown>,
): string {
  let template = statusTemplates.get(key);
  if (template === undefined) {
    const markers: Record<string, string> = {};
    for (const name of Object.keys(substitutions)) markers[name] = `@@tbk:${name}@@`;
    template = lookup(RED, key, markers) ?? '';
    statusTemplates.set(key, template);
  }
  if (template === '') return fallback;
  return template.replace(/@@tbk:(\w+)@@/g, (_m, name: string) => String(substitutions[name] ?? ''));
}
