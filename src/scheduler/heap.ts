// A binary min-heap keyed by string, with O(log n) update and delete by key.

export class KeyedHeap<T> {
  readonly #items: { key: string; value: T }[] = [];
  readonly #index = new Map<string, number>();
  readonly #less: (a: T, b: T) => boolean;

  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  get size(): number {
    return this.#items.length;
  }

  has(key: string): boolean {
    return this.#index.has(key);
  }

  get(key: string): T | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#items[i]?.value;
  }

  peek(): T | undefined {
    return this.#items[0]?.value;
  }

  /** Adds, or replaces the value under an existing key and restores the order. */
  set(key: string, value: T): void {
    const i = this.#index.get(key);
    if (i !== undefined) {
      this.#at(i).value = value;
      this.#fix(i);
      return;
    }
    this.#items.push({ key, value });
    this.#index.set(key, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (!top) return undefined;
    this.delete(top.key);
    return top.value;
  }

  delete(key: string): T | undefined {
    const i = this.#index.get(key);
    if (i === undefined) return undefined;
    const item = this.#at(i);
    const last = this.#items.length - 1;
    if (i !== last) this.#swap(i, last);
    this.#items.pop();
    this.#index.delete(key);
    if (i !== last) this.#fix(i);
    return item.value;
  }

  values(): T[] {
    return this.#items.map((i) => i.value);
  }

  #at(i: number): { key: string; value: T } {
    return this.#items[i] as { key: string; value: T };
  }

  #swap(i: number, j: number): void {
    const a = this.#at(i);
    const b = this.#at(j);
    this.#items[i] = b;
    this.#items[j] = a;
    this.#index.set(b.key, i);
    this.#index.set(a.key, j);
  }

  #fix(i: number): void {
    if (!this.#up(i)) this.#down(i);
  }

  #up(i: number): boolean {
    let moved = false;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(this.#at(i).value, this.#at(parent).value)) break;
      this.#swap(i, parent);
      i = parent;
      moved = true;
    }
    return moved;
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && this.#less(this.#at(l).value, this.#at(smallest).value)) smallest = l;
      if (r < n && this.#less(this.#at(r).value, this.#at(smallest).value)) smallest = r;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }
}
