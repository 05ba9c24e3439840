import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox } from '../../../nodes/lib/mqtt/outbox.js';
import type { OutboxEntry } from '../../../nodes/lib/mqtt/outbox.js';

function entry(topic: string, payload: string, change = false): OutboxEntry {
  return { message: { topic, payload, retain: true, qos: 1 }, change, held: true };
}

function drainPayloads(outbox: Outbox): string[] {
  const out: string[] = [];
  for (let e = outbox.shift(); e !== undefined; e = outbox.shift()) out.push(`${e.message.topic}=${String(e.message.payload)}`);
  return out;
}

describe('Outbox', () => {
  it('keeps only the newest latest-wins message per topic, in arrival order of the survivors', () => {
    const outbox = new Outbox();
    outbox.add(entry('a/attrs', 'a1'));
    outbox.add(entry('b/attrs', 'b1'));
    outbox.add(entry('a/attrs', 'a2'));
    outbox.add(entry('a/attrs', 'a3'));
    assert.equal(outbox.size, 2);
    assert.deepEqual(outbox.stats(), { queued: 2, changes: 0, superseded: 2, droppedLatest: 0, droppedChanges: 0 });
    assert.deepEqual(drainPayloads(outbox), ['b/attrs=b1', 'a/attrs=a3']);
    assert.equal(outbox.size, 0);
    assert.equal(outbox.shift(), undefined);
  });

  it('keeps every state change in order, even many on one topic', () => {
    const outbox = new Outbox();
    for (let i = 1; i <= 5; i++) outbox.add(entry('cam/state', `c${i}`, true));
    assert.deepEqual(outbox.stats().changes, 5);
    assert.deepEqual(drainPayloads(outbox), ['cam/state=c1', 'cam/state=c2', 'cam/state=c3', 'cam/state=c4', 'cam/state=c5']);
    assert.equal(outbox.stats().changes, 0);
  });

  it('lets a newer message replace a waiting refresh on its topic, but never a change', () => {
    const outbox = new Outbox();
    outbox.add(entry('cam/state', 'refresh1'));
    outbox.add(entry('cam/state', 'change1', true)); // the refresh is obsolete: the broker would overwrite it
    outbox.add(entry('cam/state', 'refresh2')); // the change stays: it is a transition subscribers must see
    outbox.add(entry('other', 'x'));
    outbox.add(entry('cam/state', 'refresh3'));
    assert.deepEqual(drainPayloads(outbox), ['cam/state=change1', 'other=x', 'cam/state=refresh3']);
  });

  it('when full, drops the oldest latest-wins message first, a change only when nothing else is left, and reports each drop', () => {
    const dropped: string[] = [];
    const outbox = new Outbox({ limit: 3, onDrop: (e) => dropped.push(String(e.message.payload)) });
    outbox.add(entry('s/1', 'C1', true));
    outbox.add(entry('a', 'L1'));
    outbox.add(entry('s/1', 'C2', true));
    outbox.add(entry('b', 'L2')); // full: L1 goes
    assert.deepEqual(dropped, ['L1']);
    outbox.add(entry('s/1', 'C3', true)); // full: L2 goes
    outbox.add(entry('s/1', 'C4', true)); // only changes left: the oldest change goes
    assert.deepEqual(dropped, ['L1', 'L2', 'C1']);
    assert.deepEqual(outbox.stats(), { queued: 3, changes: 3, superseded: 0, droppedLatest: 2, droppedChanges: 1 });
    assert.deepEqual(drainPayloads(outbox), ['s/1=C2', 's/1=C3', 's/1=C4']);
  });

  it('a dropped latest-wins message no longer blocks its topic', () => {
    const outbox = new Outbox({ limit: 2 });
    outbox.add(entry('a', 'a1'));
    outbox.add(entry('b', 'b1'));
    outbox.add(entry('c', 'c1')); // drops a1
    outbox.add(entry('a', 'a2')); // drops b1; a2 must still be queued
    assert.deepEqual(drainPayloads(outbox), ['c=c1', 'a=a2']);
  });

  it('drain() empties the queue and returns it oldest first', () => {
    const outbox = new Outbox();
    outbox.add(entry('a', '1', true));
    outbox.add(entry('b', '2'));
    assert.deepEqual(
      outbox.drain().map((e) => e.message.payload),
      ['1', '2'],
    );
    assert.equal(outbox.size, 0);
    assert.equal(outbox.stats().changes, 0);
    outbox.add(entry('b', '3')); // the topic index was cleared too
    assert.deepEqual(drainPayloads(outbox), ['b=3']);
  });

  it('stays fast at its bound: 200,000 mixed adds and a full drain (no quadratic cost)', () => {
    const outbox = new Outbox({ limit: 10_000 });
    const started = performance.now();
    for (let i = 0; i < 200_000; i++) {
      outbox.add(entry(`cam${i % 500}/${i % 3 === 0 ? 'state' : 'attrs'}`, String(i), i % 3 === 0));
    }
    assert.equal(outbox.size, 10_000);
    let n = 0;
    while (outbox.shift() !== undefined) n++;
    const elapsed = performance.now() - started;
    assert.equal(n, 10_000);
    assert.ok(elapsed < 5_000, `took ${elapsed.toFixed(0)} ms`);
  });

  it('rejects a limit that is not a positive integer', () => {
    assert.throws(() => new Outbox({ limit: 0 }), RangeError);
    assert.throws(() => new Outbox({ limit: 1.5 }), RangeError);
  });
});
