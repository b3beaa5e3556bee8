/**
 * The shape of the compiled TBK catalog (reference/tbk-catalog.json) as the importer reads it, and
 * its nulls as undefined.
 */
import type { ErrorCodeSpec, MethodSpec } from '../lib/method-specs/types';

export interface CatalogParam {
  name: string;
  type: string;
  required: boolean;
  example: string | null;
  default: string | null;
  description: string;
  children?: CatalogParam[];
}

export interface CatalogResponseField {
  name: string;
  type: string;
  description: string;
  example: string | null;
  children?: CatalogResponseField[];
}

export interface CatalogMethod {
  title: string;
  method: string | null;
  doc_id: number | null;
  auth: MethodSpec['auth'];
  params: CatalogParam[] | null;
  response: CatalogResponseField[] | null;
  response_example: Record<string, unknown> | null;
  errors: ErrorCodeSpec[] | null;
  sources: string[];
  confidence: string;
  role: string;
  status: 'resolved' | 'method-inferred' | 'unresolved';
}

export interface Catalog {
  methods: CatalogMethod[];
}

export function cleanString(value: string | null | undefined): string | undefined {
  return value === null || value === undefined ? undefined : value;
}
