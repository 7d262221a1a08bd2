// meta.k8s.io Table responses built from a resource's TableConvertor.
import type { KObject, TableConvertor } from '../api/types.ts';
import type { CachedObject } from './watchcache.ts';

export interface TableOptions {
  includeObject: 'None' | 'Metadata' | 'Object';
  metaVersion: string;
  resourceVersion: string;
  continue?: string;
  /** Leave out columnDefinitions (every watch event after the first). */
  noHeaders?: boolean;
}

export function partialMetadata(obj: KObject, metaVersion = 'v1'): KObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${metaVersion}`, metadata: obj.metadata ?? {} };
}

export function buildTable(convertor: TableConvertor, items: CachedObject[], opts: TableOptions): KObject {
  const now = Date.now();
  const metadata: Record<string, unknown> = { resourceVersion: opts.resourceVersion };
  if (opts.continue) metadata['continue'] = opts.continue;
  const table: KObject = { kind: 'Table', apiVersion: `meta.k8s.io/${opts.metaVersion}`, metadata };
  if (!opts.noHeaders) {
    table['columnDefinitions'] = convertor.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority }));
  }
  table['rows'] = items.map((c) => {
    const row: Record<string, unknown> = { cells: convertor.cells(c.obj, now) };
    if (opts.includeObject === 'Metadata') row['object'] = partialMetadata(c.obj, opts.metaVersion);
    else if (opts.includeObject === 'Object') row['object'] = c.obj;
    return row;
  });
  return table;
}
