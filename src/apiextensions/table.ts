// Table columns of a custom resource from its version's additionalPrinterColumns
// (apiextensions-apiserver pkg/registry/customresource/tableconvertor): Name, then each column's
// JSONPath value. A version without columns shows Name and Age.
import type { KObject, TableColumn, TableConvertor } from '../api/types.ts';
import { humanDuration } from '../api/tables/duration.ts';
import { CREATION_DESCRIPTION, col, nameColumn } from '../api/tables/format.ts';
import { findResults, parseJSONPath, printResults, type JSONPath } from './jsonpath.ts';

/** apiextensions.k8s.io/v1 CustomResourceColumnDefinition. */
export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', description: CREATION_DESCRIPTION, jsonPath: '.metadata.creationTimestamp' };

/** The columns a version serves: its own, or Age when it has none. */
export function servedColumns(columns: readonly PrinterColumn[] | undefined): PrinterColumn[] {
  return columns && columns.length > 0 ? [...columns] : [AGE_COLUMN];
}

/**
 * The TableConvertor for a version's printer columns. As upstream, a column whose JSONPath does not
 * parse ends the list: it and the columns after it are left out.
 */
export function printerColumnsTable(columns: readonly PrinterColumn[] | undefined): TableConvertor {
  const headers: TableColumn[] = [nameColumn()];
  const paths: JSONPath[] = [];
  const types: string[] = [];
  for (const c of servedColumns(columns)) {
    let path: JSONPath;
    try {
      path = parseJSONPath(`{${c.jsonPath}}`);
    } catch {
      break;
    }
    paths.push(path);
    types.push(c.type);
    const description = c.description ? c.description : `Custom resource definition column (in JSONPath format): ${c.jsonPath}`;
    headers.push(col(c.name, c.type as TableColumn['type'], description, { priority: c.priority ?? 0, format: c.format ?? '' }));
  }
  return {
    columns: headers,
    cells(obj: KObject, now: number): unknown[] {
      const cells: unknown[] = [obj.metadata?.name ?? ''];
      paths.forEach((path, i) => {
        let results: unknown[][];
        try {
          results = findResults(path, obj);
        } catch {
          cells.push(null);
          return;
        }
        const first = results[0];
        if (!first || first.length === 0) {
          cells.push(null);
          return;
        }
        const value = first[0];
        cells.push(types[i] === 'string' ? printResults([value]) : cellForJSONValue(types[i]!, value, now));
      });
      return cells;
    },
  };
}

const ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A typed cell: integers truncate, numbers stay, dates become ages; anything of the wrong type is null. */
export function cellForJSONValue(type: string, value: unknown, now: number): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'string':
      return typeof value === 'string' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (value === '' || value === 'null') return '<unknown>';
      if (!RFC3339.test(value)) return '<invalid>';
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) return '<invalid>';
      if (ms === ZERO_TIME) return '<unknown>';
      return humanDuration(now - ms);
    }
    default:
      return null;
  }
}
