// kubectl's human-readable printer for server-side Tables: the NAMESPACE column for -A, `kind/` name prefixes when
// several types are printed, the LABELS column, priority-1 columns only with -o wide, cells cut at the first line
// break, and headers printed once per run of tables with the same columns.

export interface TableColumn {
  name: string;
  type?: string;
  format?: string;
  priority?: number;
}

export interface TableRow {
  cells: unknown[];
  object?: { metadata?: { namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };
}

export interface Table {
  kind?: string;
  columnDefinitions?: TableColumn[];
  rows?: TableRow[];
  metadata?: { continue?: string; resourceVersion?: string };
}

export interface TableOptions {
  wide?: boolean;
  noHeaders?: boolean;
  withNamespace?: boolean;
  showLabels?: boolean;
  /** `pod`, `deployment.apps`: prefixed to names when several types are printed. */
  kind?: string;
}

/** labels.FormatLabels: sorted `k=v` pairs, or `<none>`. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${labels![k]}`).join(',') : '<none>';
}

/** Terminal control characters are printed escaped (printers.EscapeTerminal's effect on plain text). */
function escapeCell(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

function cellText(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string') {
    const cut = cell.search(/[\f\n\r]/);
    return cut >= 0 ? `${escapeCell(cell.slice(0, cut))}...` : escapeCell(cell);
  }
  if (typeof cell === 'object') return JSON.stringify(cell);
  return String(cell);
}

/** Prints tables one after another as one HumanReadablePrinter would (output is tab-separated; align afterwards). */
export class TablePrinter {
  #lastColumns: string | undefined;
  #printedHeaders = false;

  constructor(readonly options: TableOptions) {}

  print(table: Table): string {
    const o = this.options;
    let columns = table.columnDefinitions ?? [];
    const key = JSON.stringify(columns);
    let noHeaders = o.noHeaders ?? false;
    if (this.#printedHeaders && (columns.length === 0 || key === this.#lastColumns)) noHeaders = true;
    if (columns.length === 0 && this.#lastColumns) columns = JSON.parse(this.#lastColumns) as TableColumn[];
    else if (key !== this.#lastColumns) {
      this.#lastColumns = key;
      this.#printedHeaders = false;
    }
    const rows = table.rows ?? [];
    if (rows.length > 0) this.#printedHeaders = true;

    const nameColumn = o.kind ? columns.findIndex((c) => c.format === 'name' && c.type === 'string') : -1;
    const shown = (c: TableColumn) => o.wide || !c.priority;
    const headers: string[] = [];
    if (o.withNamespace) headers.push('NAMESPACE');
    for (const c of columns) if (shown(c)) headers.push(c.name.toUpperCase());
    if (o.showLabels) headers.push('LABELS');

    let out = '';
    if (!noHeaders && rows.length > 0) out += headers.join('\t') + '\n';
    for (const row of rows) {
      const cells: string[] = [];
      if (o.withNamespace) cells.push(row.object?.metadata?.namespace ?? '');
      columns.forEach((c, i) => {
        if (!shown(c)) return;
        let text = cellText(row.cells[i]);
        if (i === nameColumn) text = `${o.kind}/${text}`;
        cells.push(text);
      });
      if (o.showLabels) cells.push(row.object ? formatLabels(row.object.metadata?.labels) : '');
      out += cells.join('\t') + '\n';
    }
    return out;
  }
}
