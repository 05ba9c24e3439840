/** An item knows its own place in the heap, so removing or re-keying it is O(log n), not O(n). */
export interface HeapItem {
  /** Position in the heap's array; -1 while outside any heap. Owned by the heap. */
  heapIndex: number;
}

/**
 * A binary min-heap ordered by `less`. Each item may sit in at most one heap at a time (its
 * `heapIndex` belongs to that heap).
 */
export class MinHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  has(item: T): boolean {
    return item.heapIndex >= 0 && this.items[item.heapIndex] === item;
  }

  push(item: T): void {
    if (this.has(item)) throw new Error('MinHeap.push: item already in the heap');
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.siftUp(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Removes `item` if it is in the heap; returns whether it was. */
  remove(item: T): boolean {
    if (!this.has(item)) return false;
    this.removeAt(item.heapIndex);
    return true;
  }

  /** Restores order after `item`'s key changed (pushes it when it was not in the heap). */
  update(item: T): void {
    if (!this.has(item)) {
      this.push(item);
      return;
    }
    this.siftDown(this.siftUp(item.heapIndex));
  }

  clear(): void {
    for (const item of this.items) item.heapIndex = -1;
    this.items.length = 0;
  }

  private removeAt(index: number): void {
    const removed = this.items[index];
    const last = this.items.pop();
    if (removed) removed.heapIndex = -1;
    if (last === undefined || last === removed) return;
    this.items[index] = last;
    last.heapIndex = index;
    this.siftDown(this.siftUp(index));
  }

  /** Moves the item at `index` towards the root; returns where it ends. */
  private siftUp(index: number): number {
    const item = this.items[index];
    if (item === undefined) return index;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.items[parentIndex];
      if (parent === undefined || !this.less(item, parent)) break;
      this.place(parent, index);
      index = parentIndex;
    }
    this.place(item, index);
    return index;
  }

  private siftDown(index: number): void {
    const item = this.items[index];
    if (item === undefined) return;
    const n = this.items.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      let childIndex = left;
      const leftItem = this.items[left];
      const rightItem = right < n ? this.items[right] : undefined;
      if (leftItem === undefined) break;
      let child = leftItem;
      if (rightItem !== undefined && this.less(rightItem, leftItem)) {
        childIndex = right;
        child = rightItem;
      }
      if (!this.less(child, item)) break;
      this.place(child, index);
      index = childIndex;
    }
    this.place(item, index);
  }

  private place(item: T, index: number): void {
    this.items[index] = item;
    item.heapIndex = index;
  }
}
