// The tabwriter kubectl uses while watching (liggitt/tabwriter with RememberWidths): each flush aligns its own lines,
// but a column is never narrower than it was in an earlier flush, so rows printed one by one still line up.
import { KUBECTL_TABWRITER } from '../printers/tabwriter.ts';

const width = (s: string): number => [...s].length;

export class RememberingTabWriter {
  readonly #remembered: number[] = [];

  /** Aligns `text` (complete lines of tab-separated cells) against the widths seen so far. */
  flush(text: string): string {
    if (!text) return '';
    const { minWidth, padding } = KUBECTL_TABWRITER;
    const trailingNewline = text.endsWith('\n');
    const lines = (trailingNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
    const out: string[] = [];
    const widths: number[] = [];
    const remembered = this.#remembered;

    const writeLines = (line0: number, line1: number) => {
      for (let i = line0; i < line1; i++) {
        const cells = lines[i]!;
        let s = '';
        cells.forEach((cell, j) => {
          if (j < widths.length && j < cells.length - 1) s += cell + ' '.repeat(Math.max(0, widths[j]! - width(cell)));
          else s += cell;
        });
        out.push(s);
      }
    };

    const format = (line0: number, line1: number): void => {
      const column = widths.length;
      for (let i = line0; i < line1; i++) {
        if (column >= lines[i]!.length - 1) continue;
        writeLines(line0, i);
        line0 = i;
        let w = minWidth;
        for (; i < line1; i++) {
          const cells = lines[i]!;
          if (column >= cells.length - 1) break;
          w = Math.max(w, width(cells[column]!) + padding);
        }
        w = Math.max(w, remembered[column] ?? 0);
        remembered[column] = w;
        widths.push(w);
        format(line0, i);
        widths.pop();
        line0 = i;
        i--;
      }
      writeLines(line0, line1);
    };

    format(0, lines.length);
    return out.join('\n') + (trailingNewline ? '\n' : '');
  }
}
