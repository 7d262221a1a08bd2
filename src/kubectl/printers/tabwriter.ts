// Go's text/tabwriter as kubectl configures it (minwidth 6, padding 3, pad with spaces, align left): cells end at
// tabs, a column's width is its widest cell plus padding within each block of consecutive lines that have that
// column, and the text after a line's last tab is never padded.

export interface TabwriterOptions {
  minWidth: number;
  padding: number;
}

export const KUBECTL_TABWRITER: TabwriterOptions = { minWidth: 6, padding: 3 };

const width = (s: string): number => [...s].length;

/**
 * Aligns `text` (lines of tab-separated cells) and returns the result. With `remembered` (kept by the caller between
 * calls, as liggitt/tabwriter's RememberWidths does while kubectl watches), no column gets narrower than it was.
 */
export function alignTabs(text: string, options: TabwriterOptions = KUBECTL_TABWRITER, remembered?: number[]): string {
  const trailingNewline = text.endsWith('\n');
  const lines = (trailingNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];

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
      // This line has a cell in `column`: lines before it are complete, and a block of this column starts here.
      writeLines(line0, i);
      line0 = i;
      let w = options.minWidth;
      for (; i < line1; i++) {
        const cells = lines[i]!;
        if (column >= cells.length - 1) break;
        w = Math.max(w, width(cells[column]!) + options.padding);
      }
      if (remembered) w = remembered[column] = Math.max(w, remembered[column] ?? 0);
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
