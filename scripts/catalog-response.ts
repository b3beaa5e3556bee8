/**
 * The documented response of a catalog method: its fields as ResponseFieldSpecs, and the paging a
 * method's parameters and response fields show (page numbers, cursors or both).
 */
import type { PagingSpec, ResponseFieldSpec } from '../lib/method-specs/types';
import { cleanString, type CatalogParam, type CatalogResponseField } from './catalog-types';

export function convertResponse(fields: CatalogResponseField[] | null): ResponseFieldSpec[] {
  return (fields ?? []).map((f) => {
    const out: ResponseFieldSpec = { name: f.name, docType: f.type, description: f.description ?? '' };
    const example = cleanString(f.example);
    if (example !== undefined) out.example = example;
    if (f.children?.length) out.children = convertResponse(f.children);
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Paging

/** TOP's JSON wraps arrays of objects in {<snake type>: [...]}: MapData[] -> map_data. */
interface FieldPath {
  path: string;
  field: CatalogResponseField;
}

function flattenFields(
  fields: CatalogResponseField[] | null,
  prefix = '',
  depth = 0,
  out: FieldPath[] = [],
): FieldPath[] {
  for (const f of fields ?? []) {
    const path = prefix + f.name;
    out.push({ path, field: f });
    if (f.children?.length && depth < 2 && !/\[\]\s*$/.test(f.type.replace(/\s+/g, '')))
      flattenFields(f.children, path + '.', depth + 1, out);
  }
  return out;
}

function findField(all: FieldPath[], names: string[]): FieldPath | undefined {
  for (const name of names) {
    const hit = all.find((f) => f.field.name === name);
    if (hit) return hit;
  }
  return undefined;
}

function isArrayType(type: string): boolean {
  return /\[\]$/.test(type.replace(/\s+/g, ''));
}

/**
 * page_no/page_size (or page_num) with a documented result list; position_index/has_next cursors.
 * listPath names the documented field: in the default (non-simplified) format it holds a
 * single-key wrapper object around the array ({"map_data": [...]}).
 */
export function pagingFor(
  method: string,
  params: CatalogParam[],
  response: CatalogResponseField[] | null,
): PagingSpec | undefined {
  const names = new Set(params.map((p) => p.name));
  const all = flattenFields(response);
  const list = all.find(
    (f) => isArrayType(f.field.type) && f.field.name !== 'column_list' && !f.path.includes('page_info'),
  );
  // two lists (pid_rpt_list, relation_rpt_list) depending on rpt_dim: no single list to follow
  if (method.endsWith('.vegas.send.report')) return undefined;
  if (method === 'taobao.tbk.rta.uvid.get') {
    return {
      style: 'cursor',
      cursorParam: 'cursor',
      sizeParam: 'page_size',
      hasNextPath: 'has_more',
      cursorPath: 'cursor',
      listPath: 'result_list',
    };
  }
  if (names.has('position_index') && names.has('page_size')) {
    const hasNext = findField(all, ['has_next']);
    const cursor = all.find((f) => f.field.name === 'position_index');
    if (!hasNext || !cursor || !list) return undefined;
    const spec: PagingSpec = {
      style: 'cursor',
      cursorParam: 'position_index',
      sizeParam: 'page_size',
      hasNextPath: hasNext.path,
      cursorPath: cursor.path,
      listPath: list.path,
    };
    if (names.has('page_no')) spec.pageParam = 'page_no';
    return spec;
  }
  const pageParam = names.has('page_no') ? 'page_no' : names.has('page_num') ? 'page_num' : undefined;
  if (!pageParam || !names.has('page_size') || !list) return undefined;
  const spec: PagingSpec = { style: 'page', pageParam, sizeParam: 'page_size', listPath: list.path };
  const total = findField(all, ['total_results', 'total_count', 'total_cnt', 'total']);
  if (total) spec.totalPath = total.path;
  const hasNext = findField(all, ['has_next']);
  if (hasNext) spec.hasNextPath = hasNext.path;
  return spec;
}
