/**
 * The English texts of the messages lib/ gives its errors, by message key (TopError.messageKey).
 * The Node-RED layer shows the same keys in the user's language: nodes/locales/<lang>/tbk-api.json
 * has them under "errors" (the en-US entries equal these, test/nodes/runtime-texts.test.ts checks it).
 *
 * A template names its values as __name__ (Node-RED's i18next markers). A value whose name ends in
 * `_key` is itself a message key: it is rendered with the other values (and the parts rendered
 * before it) and fills the marker without the suffix (`rule_key: 'validation.rule.min'` fills
 * __rule__), so a sentence and its parts are translated separately.
 */

export type MessageArgs = Record<string, string | number>;

export const MESSAGES: Readonly<Record<string, string>> = {
  // the client and its options
  'client.badMethod': '"__method__" is not a TOP method name (like taobao.tbk.item.info.get)',
  'client.closed': 'Client closed',
  'client.closedInFlight': 'Client closed while the call was in flight',
  'client.aborted': 'Call to __method__ aborted',
  'client.noAppKey': 'TopClient needs an App Key (appKey)',
  'client.noAppSecret': 'TopClient needs an App Secret (appSecret)',
  'client.signMethod': 'Unknown sign method "__signMethod__": use md5, hmac or hmac-sha256',
  'client.endpointNotUrl': 'Endpoint "__endpoint__" is not a URL',
  'client.endpointProtocol': 'Endpoint "__endpoint__" must be http or https',
  'client.batchEndpoint': 'Batch endpoint "__endpoint__" is not an http or https URL',
  'client.batchArray': 'A batch needs an array of parameter objects',
  'client.noBatchUrl': 'No batch URL: the endpoint __endpoint__ does not end in /router/rest (set batchEndpoint)',
  'client.batchParams': 'batch call __index__: the parameters must be an object',
  'client.batchFile': 'batch call __index__: batch calls cannot upload files ("__param__")',
  'client.batchMethod':
    'batch call __index__: "method" is not a business parameter (every call of a batch has the batch\'s method)',
  'client.batchSeparator':
    'A custom batch separator must hold a tab between printable ASCII characters, e.g. "-S-\\t-S-" (it goes in an HTTP header, and any other text may occur inside an answer)',
  // the rate limit, local or shared through Redis
  'limit.aborted': 'Call aborted while waiting for the rate limit',
  'limit.appKey': 'A shared rate limit needs the App Key it is kept for',
  'limit.perSecond': 'A shared rate limit needs a limit of at least 1 call per second',
  'limit.window': 'The window of a shared rate limit is at least 1 ms',
  'limit.maxCall': 'The longest call of a shared rate limit is at least 1 ms',
  'limit.redisNotUrl': 'The Redis URL is not a URL (like redis://127.0.0.1:6379/0)',
  'limit.redisProtocol': 'The Redis URL must start with redis:// or rediss://',
  // no usable answer
  'transport.timeout': 'No answer from the gateway within __ms__ ms',
  'transport.corrupt': 'Corrupt __encoding__ body from the gateway',
  'transport.tooLarge': 'Refused an answer larger than __limit__ from the gateway (maxResponseBytes)',
  'transport.tooLargeInflated':
    'Refused an answer larger than __limit__ once inflated (__encoding__) from the gateway (maxResponseBytes)',
  'transport.http': 'HTTP __status__ from the gateway__page__',
  'transport.connect': 'Cannot connect to the gateway __host__ (__code__)',
  'transport.connectLoopback':
    'Cannot connect to the gateway __host__ (__code__): is the sandbox running? Start it with npm start or npx tbk-sandbox, or check the endpoint (TBK_ENDPOINT)',
  'transport.failed': 'Connection to the gateway failed: __reason____code__',
  'transport.batchPieces': 'The gateway answered __pieces__ pieces for a batch of __calls__ calls',
  'transport.empty': 'Empty answer from the gateway',
  'transport.html': 'The gateway answered an HTML page instead of JSON',
  'transport.malformed': 'The gateway answered malformed or truncated JSON',
  'transport.unexpected': 'Unexpected answer: no __method__ response or error_response in the body',
  // answers that report a failure
  'response.business': 'Business failure: __reason__',
  'response.businessCode': 'Business failure (__code__): __reason__',
  'response.reported': 'The call reported failure',
  // an error_response: "Invalid signature (25): check the App Secret and sign method [isv.x: ...]"
  'top.advised': '__title__ (__code__): __advice____detail__',
  'top.coded': '__title__ (__code__)__detail__',
  'top.uncoded': '__title____detail__',
  'top.title.default': 'TOP error',
  'top.clockSkew':
    "__base__ (the gateway's Date header shows its clock __seconds__ s __direction__ this host's: set the config node's clock offset to __offset__ s)",
  'top.clockAhead': 'ahead of',
  'top.clockBehind': 'behind',
  'top.title.25': 'Invalid signature',
  'top.title.31': 'Invalid timestamp',
  'top.title.15': 'Remote service error',
  'top.title.50': 'Remote service error',
  'top.advice.1': 'Platform system error: retry later',
  'top.advice.2': 'Platform blacklist: the app is blocked, contact the open platform',
  'top.advice.4': 'User call limited: slow down',
  'top.advice.5': 'Session call limited: slow down',
  'top.advice.6': 'Partner call limited: slow down',
  'top.advice.7': 'App call limited: the app exceeded its call quota or frequency',
  'top.advice.8': 'App call frequency exceeded: slow down',
  'top.advice.9': 'HTTP action not allowed: use POST',
  'top.advice.10': 'Service currently unavailable: retry later',
  'top.advice.11': 'Insufficient ISV permissions: apply for the API permission package in the open platform console',
  'top.advice.12': 'Insufficient user permissions: the authorized user lacks this permission',
  'top.advice.13': 'Insufficient partner permissions',
  'top.advice.21': 'Missing method: set the method name',
  'top.advice.22': 'Invalid method: the method name is unknown to the gateway, check its spelling',
  'top.advice.23': 'Invalid format: use json',
  'top.advice.24': 'Missing signature',
  'top.advice.25': 'check the App Secret and sign method',
  'top.advice.26': 'Missing session: this method needs a user authorization (session)',
  'top.advice.27': 'Invalid session: the session expired or is wrong, authorize again',
  'top.advice.28': 'Missing App Key',
  'top.advice.29': 'Invalid App Key: check the App Key',
  'top.advice.30': 'Missing timestamp',
  'top.advice.31':
    'the gateway allows 10 minutes of clock skew in GMT+8: check the host clock or the clock offset setting',
  'top.advice.32': 'Missing version',
  'top.advice.33': 'Invalid version: use 2.0',
  'top.advice.34': 'Unsupported version',
  'top.advice.40': 'Missing required arguments',
  'top.advice.41': 'Invalid arguments',
  'top.advice.43': 'Parameter error',
  'top.advice.47': 'Invalid encoding: send UTF-8',
  // parameter values as they are encoded for the wire
  'paging.stuck':
    'The gateway answered has_next=true without moving on (page __page__, cursor __cursor__): the rest was left unread',
  // the order sync (lib/sync)
  'sync.retention': 'The order API keeps 90 days: this range can no longer be read (sub_code 2004)',
  'sync.tooManyPages': 'More than __pages__ pages of orders in one second: cannot be read completely',
  'encode.notFinite': 'Parameter "__param__" must be a finite number, got __got__',
  'encode.invalidDate': 'Parameter "__param__" is an invalid date',
  'encode.notJson': 'Parameter "__param__" cannot be encoded as JSON: __reason__',
  'encode.unsupported': 'Parameter "__param__" has an unsupported type (__type__)',
  'validation.loneSurrogate':
    'Parameter __param__ cannot be sent: it has a lone surrogate (__codeUnit__) at index __index__, which is not Unicode text',
  'validation.maxResponseBytes': 'maxResponseBytes must be a number of bytes of at least 1, got __value__',
  // parameters checked against a method's spec: "Parameter "x" (about) <rule><more>"
  'validation.param': 'Parameter "__param__"__about__ __rule____more__',
  'validation.moreOne': ' (and 1 more problem)',
  'validation.moreMany': ' (and __count__ more problems)',
  'validation.notObject': 'Parameters for __method__ must be a plain object, got __got__',
  'validation.forbidden': 'Parameter name __names__ is not allowed',
  'validation.unreadable': 'Parameter "__param__" could not be read',
  'validation.unknownOne': 'Unknown parameter __names__ for __method__ (documented: __documented__)',
  'validation.unknownMany': 'Unknown parameters __names__ for __method__ (documented: __documented__)',
  'validation.failed': 'Parameters for __method__ could not be validated',
  'validation.rule.required': 'is required',
  'validation.rule.notFinite': 'must be a finite number, got __got__',
  'validation.rule.lostPrecision': 'is an integer beyond 2^53 that has lost precision (__got__): pass it as a string',
  'validation.rule.notNumber': 'must be a number, got __got__',
  'validation.rule.oneOf': 'must be one of __allowed__, got __got__',
  'validation.rule.min': 'must be at least __min__, got __got__',
  'validation.rule.max': 'must be at most __max__, got __got__',
  'validation.rule.notString': 'must be a string, got __got__',
  'validation.rule.tooLong': 'must be at most __max__ characters long, got __length__',
  'validation.rule.notBoolean': 'must be true or false, got __got__',
  'validation.rule.invalidDate': 'must be a valid date, got an invalid Date',
  'validation.rule.notDate': 'must be a date, got __got__',
  'validation.rule.epochRange': 'must be a date (epoch milliseconds in range), got __got__',
  'validation.rule.notRealDateTime': 'must be a real date and time, got __got__',
  'validation.rule.notRealDate': 'must be a real date, got __got__',
  'validation.rule.dateFormat':
    "must be a date ('yyyy-MM-dd HH:mm:ss', 'yyyy-MM-dd', ISO 8601, a Date or epoch milliseconds), got __got__",
  'validation.rule.itemNotFinite': 'item __index__ must be a finite number, got __got__',
  'validation.rule.itemLostPrecision':
    'item __index__ is an integer beyond 2^53 that has lost precision (__got__): pass it as a string',
  'validation.rule.itemNotNumber': 'item __index__ must be a number, got __got__',
  'validation.rule.itemNotScalar': 'item __index__ must be a string or a number, got __got__',
  'validation.rule.tooManyItems': 'must have at most __max__ items, got __count__',
  'validation.rule.notNumberList': 'must be a comma-separated list of numbers, got __got__ in it',
  'validation.rule.notList': 'must be a list (an array or a comma-separated string), got __got__',
  'validation.rule.notJson': 'must be JSON (an object, an array or a JSON string), got __got__',
  'validation.rule.jsonUnencodable': 'cannot be encoded as JSON (__reason__)',
  'validation.rule.notFile': 'must be a file (a Buffer, a Uint8Array or {data: Buffer, filename}), got __got__',
  // how a value that is not text is named in a message ("got an array")
  'validation.value.symbol': 'a symbol',
  'validation.value.function': 'a function',
  'validation.value.undefined': 'undefined',
  'validation.value.null': 'null',
  'validation.value.array': 'an array',
  'validation.value.date': 'a Date',
  'validation.value.object': 'an object',
  'validation.value.unprintable': 'an unprintable value',
};

const MARKER = /__([A-Za-z0-9_]+?)__/g;

/**
 * The values of `args` with every `<name>_key` value rendered (by `render`) into `<name>`, in the
 * order of `args`: a part may use the values of the parts rendered before it.
 */
export function resolveArgs(args: MessageArgs, render: (key: string, values: MessageArgs) => string): MessageArgs {
  const out: MessageArgs = {};
  for (const [name, value] of Object.entries(args)) if (!name.endsWith('_key')) out[name] = value;
  for (const [name, value] of Object.entries(args))
    if (name.endsWith('_key')) out[name.slice(0, -'_key'.length)] = render(String(value), { ...out });
  return out;
}

/** A template with its __name__ markers filled; a marker without a value becomes ''. */
export function fillTemplate(template: string, values: MessageArgs): string {
  return template.replace(MARKER, (_m, name: string) => (values[name] === undefined ? '' : String(values[name])));
}

/** The English text of a message key. */
export function englishMessage(key: string, args: MessageArgs = {}): string {
  const render = (k: string, values: MessageArgs): string => fillTemplate(MESSAGES[k] ?? k, values);
  return render(key, resolveArgs(args, render));
}

/** The fields that give a TopError its text: the English message and the key and values to translate it. */
export function messageFields(
  key: string,
  args: MessageArgs = {},
): { message: string; messageKey: string; messageArgs: MessageArgs } {
  return { message: englishMessage(key, args), messageKey: key, messageArgs: args };
}
