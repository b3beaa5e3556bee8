import type { BusinessRules } from '../top/response';

/** Parameter types as the method nodes and the validator understand them. */
export type ParamKind = 'string' | 'number' | 'boolean' | 'date' | 'json' | 'string[]' | 'number[]' | 'file';

export interface ParamSpec {
  /** wire name, spelled as the platform spells it (typos included) */
  name: string;
  kind: ParamKind;
  /** the type as documented (String, Number, LkItemDTO[] ...) */
  docType: string;
  required: boolean;
  example?: string;
  default?: string;
  /** Chinese description from the documentation */
  description: string;
  /** English description (may be a short gloss) */
  descriptionEn?: string;
  /** documented numeric bounds */
  min?: number;
  max?: number;
  /** documented maximum length (strings) or maximum item count (lists) */
  maxLength?: number;
  /** documented allowed values */
  enum?: Array<string | number>;
  /** fields of an object-typed parameter, documented */
  children?: ParamSpec[];
}

export interface ResponseFieldSpec {
  name: string;
  docType: string;
  description: string;
  example?: string;
  children?: ResponseFieldSpec[];
}

export interface ErrorCodeSpec {
  code: string;
  desc: string;
  solution: string;
}

export type Role = 'promoter' | 'provider' | 'common' | 'other';

export interface PagingSpec {
  /** page_no/page_size style, or position_index/has_next cursor style */
  style: 'page' | 'cursor';
  pageParam?: string;
  sizeParam?: string;
  cursorParam?: string;
  /** dotted path of has_next / total_results / the result list in the response */
  hasNextPath?: string;
  totalPath?: string;
  cursorPath?: string;
  listPath?: string;
}

/** One TOP method, as data. The node, its editor, help, validation and sandbox answer come from it. */
export interface MethodSpec {
  /** bumped when the parameters change shape; node configs carry it for migrations */
  version: number;
  method: string;
  /** Node-RED type: tbk- + method without "taobao.tbk.", dots to dashes */
  type: string;
  title: { zh: string; en: string };
  /** short palette labels */
  label: { zh: string; en: string };
  role: Role;
  /** role as the catalog names it (campaign-leader, content-partner ... map to role other) */
  catalogRole: string;
  status: 'resolved' | 'method-inferred';
  confidence: string;
  docId?: number;
  /** whether a user session is needed */
  auth: 'required' | 'optional' | 'none' | 'unknown';
  /** creates or changes something: never retried once the request may have reached the server */
  writes: boolean;
  /** false when the method documents no parameters (method-inferred): parameters pass through unvalidated */
  validate: boolean;
  /** for unconfirmed methods: the documented sibling whose parameters it most likely shares */
  sibling?: string;
  params: ParamSpec[];
  response: ResponseFieldSpec[];
  responseExample?: Record<string, unknown>;
  errors: ErrorCodeSpec[];
  business?: BusinessRules;
  paging?: PagingSpec;
  sources: string[];
}
