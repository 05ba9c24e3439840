import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MinHeap } from '../../../nodes/lib/schedule/heap.js';
import { Fifo } from '../../../nodes/lib/schedule/fifo.js';
import { seededRandom } from './harness.js';

interface Item {
  key: number;
  heapIndex: number;
}

const item = (key: number): Item => ({ key, heapIndex: -1 });

describe('MinHeap', () => {
  it('pops in key order through random pushes, removes and re-keys', () => {
    const random = seededRandom(7);
    const heap = new MinHeap<Item>((a, b) => a.key < b.key);
    const live = new Set<Item>();
    for (let step = 0; step < 20_000; step++) {
      const r = random();
      const members = [...live];
      if (r < 0.5 || members.length === 0) {
        const it = item(Math.floor(random() * 1000));
        heap.push(it);
        live.add(it);
      } else if (r < 0.65) {
        const victim = members[Math.floor(random() * members.length)]!;
        assert.equal(heap.remove(victim), true);
        assert.equal(heap.remove(victim), false, 'a second remove is a no-op');
        live.delete(victim);
      } else if (r < 0.8) {
        const moved = members[Math.floor(random() * members.length)]!;
        moved.key = Math.floor(random() * 1000);
        heap.update(moved);
      } else {
        const min = Math.min(...members.map((m) => m.key));
        const top = heap.pop();
        assert.equal(top?.key, min);
        if (top) live.delete(top);
      }
      assert.equal(heap.size, live.size);
      if (step > 19_000) break;
    }
    const drained: number[] = [];
    for (let top = heap.pop(); top; top = heap.pop()) drained.push(top.key);
    assert.deepEqual(drained, [...drained].sort((a, b) => a - b));
    assert.equal(drained.length, live.size);
  });

  it('tracks membership and clears', () => {
    const heap = new MinHeap<Item>((a, b) => a.key < b.key);
    const a = item(2);
    const b = item(1);
    heap.push(a);
    heap.push(b);
    assert.throws(() => heap.push(a), /already/);
    assert.equal(heap.peek(), b);
    assert.equal(heap.has(a), true);
    heap.clear();
    assert.equal(heap.size, 0);
    assert.equal(heap.has(a), false);
    assert.equal(a.heapIndex, -1);
    heap.update(a); // update of an outside item pushes it
    assert.equal(heap.pop(), a);
    assert.equal(heap.pop(), undefined);
  });
});

describe('Fifo', () => {
  it('keeps order across compactions', () => {
    const q = new Fifo<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) q.push(next++);
      for (let i = 0; i < 250; i++) assert.equal(q.shift(), expected++);
    }
    assert.equal(q.length, next - expected);
    while (q.length > 0) assert.equal(q.shift(), expected++);
    assert.equal(q.shift(), undefined);
    q.push(1);
    q.clear();
    assert.equal(q.length, 0);
  });
});
