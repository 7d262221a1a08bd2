// `skiff image ls`: the CRI ImageService's images as `crictl images` prints them — one row per repo tag, the
// image id cut to 13 hex digits, sizes in decimal units with 3 significant digits, columns at least 20 wide.
import type { Image } from '../kubelet/cri/types.ts';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

export function humanSize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${Number(size.toPrecision(3))}${UNITS[unit]}`;
}

export function imageRows(images: Image[]): string[][] {
  const rows: string[][] = [];
  for (const image of images) {
    const digestName = image.repoDigests[0]?.split('@')[0] ?? '<none>';
    const id = image.id.replace(/^sha256:/, '').slice(0, 13);
    const size = humanSize(Number(image.size));
    if (!image.repoTags.length) rows.push([digestName, '<none>', id, size]);
    for (const tag of image.repoTags) {
      const colon = tag.lastIndexOf(':');
      rows.push([tag.slice(0, colon), tag.slice(colon + 1), id, size]);
    }
  }
  return rows.sort((a, b) => (a[0]! + '\0' + a[1]!).localeCompare(b[0]! + '\0' + b[1]!));
}

/** Left-aligned columns padded to their widest cell plus 3, at least 20; the last column unpadded. */
export function formatTable(rows: string[][]): string {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(20, ...rows.map((r) => (r[c]?.length ?? 0) + 3)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('') + '\n').join('');
}

export function imageTable(images: Image[]): string {
  return formatTable([['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], ...imageRows(images)]);
}
