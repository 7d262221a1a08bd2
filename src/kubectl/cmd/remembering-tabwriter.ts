// The tabwriter kubectl uses while watching (liggitt/tabwriter with RememberWidths): each flush aligns its own lines,
// but a column is never narrower than it was in an earlier flush, so rows printed one by one still line up.
import { alignTabs, KUBECTL_TABWRITER } from '../printers/tabwriter.ts';

export class RememberingTabWriter {
  readonly #remembered: number[] = [];

  /** Aligns `text` (complete lines of tab-separated cells) against the widths seen so far. */
  flush(text: string): string {
    return text ? alignTabs(text, KUBECTL_TABWRITER, this.#remembered) : '';
  }
}
