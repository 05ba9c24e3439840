/**
 * flows/default-flow.json, statically: the wiring the README promises, configuration only from the
 * environment, no secrets, and the notification example producing its sentence with Node-RED's
 * own JSONata. test/cli/start.test.ts runs it in a real Node-RED.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const REPO = join(__dirname, '..', '..', '..');
type FlowNode = Record<string, unknown> & { id: string; type: string; z?: string; d?: boolean; wires?: string[][] };
const FLOW = JSON.parse(readFileSync(join(REPO, 'flows', 'default-flow.json'), 'utf8')) as FlowNode[];

function only(type: string): FlowNode {
  const found = FLOW.filter((n) => n.type === type);
  assert.equal(found.length, 1, `one ${type} node`);
  return found[0] as FlowNode;
}

describe('flows/default-flow.json', () => {
  it('has unique ids, wires to existing nodes and config references of the right type', () => {
    const byId = new Map(FLOW.map((n) => [n.id, n]));
    assert.equal(byId.size, FLOW.length);
    const tab = only('tab');
    for (const node of FLOW) {
      if (node.type === 'tab' || !('wires' in node)) continue;
      assert.equal(node.z, tab.id, `${node.id} is on the tab`);
      for (const target of (node.wires ?? []).flat()) assert.ok(byId.has(target), `${node.id} → ${target}`);
    }
    const refs: [string, string, string][] = [
      ['stream-probe', 'cameras', 'streampulse-cameras'], ['stream-probe', 'store', 'streampulse-store'],
      ['heartbeat-store', 'store', 'streampulse-store'], ['heartbeat-store', 'cameras', 'streampulse-cameras'],
      ['health-publish', 'broker', 'streampulse-broker'], ['health-publish', 'cameras', 'streampulse-cameras'], ['health-publish', 'store', 'streampulse-store'],
    ];
    for (const [type, field, target] of refs) assert.equal(byId.get(String(only(type)[field]))?.type, target, `${type}.${field}`);
  });

  it('wires cameras → probe → store → publish, and state changes to a debug node and a disabled notification example', () => {
    const byId = new Map(FLOW.map((n) => [n.id, n]));
    const probe = only('stream-probe');
    const store = only('heartbeat-store');
    assert.deepEqual(probe.wires?.[0], [store.id]);
    assert.deepEqual(store.wires?.[0], [only('health-publish').id]);
    const changes = (probe.wires?.[1] ?? []).map((id) => byId.get(id));
    const debug = changes.find((n) => n?.type === 'debug');
    assert.equal(debug?.name, 'state changes');
    assert.notEqual(debug?.d, true);
    const format = changes.find((n) => n?.type === 'change');
    assert.equal(format?.d, true, 'the example is disabled until the user wires a notifier');
    const notify = byId.get(format?.wires?.[0]?.[0] ?? '');
    assert.equal(notify?.type, 'debug');
    assert.equal(notify?.d, true);
    assert.equal(store.serve, true);
    assert.equal(store.base, '/streampulse');
    assert.ok(FLOW.some((n) => n.type === 'comment' && typeof n.info === 'string' && n.info.includes('MQTT_URL')));
  });

  it('takes the streams file, the database and the broker from the environment, and holds no secret', () => {
    const cameras = only('streampulse-cameras');
    assert.equal(cameras.source, 'file');
    assert.equal(cameras.path, '${STREAMPULSE_STREAMS}');
    assert.equal(only('streampulse-store').file, '${STREAMPULSE_DB}');
    const broker = only('streampulse-broker');
    assert.equal(broker.url, '${MQTT_URL}');
    assert.equal(broker.discoveryPrefix, 'homeassistant');
    for (const node of FLOW) assert.ok(!('credentials' in node), `${node.id} carries credentials`);
  });

  it('the notification example turns a heartbeat into a sentence (Node-RED\'s JSONata)', async () => {
    const fromNodeRed = createRequire(join(REPO, 'node_modules', 'node-red', 'package.json'));
    const { util } = fromNodeRed('@node-red/util') as {
      util: {
        prepareJSONataExpression(expr: string, node: object): unknown;
        evaluateJSONataExpression(expr: unknown, msg: object, cb: (err: unknown, value: unknown) => void): void;
      };
    };
    const format = only('change');
    const rules = format.rules as { p: string; to: string; tot: string }[];
    const msg: Record<string, unknown> = {
      payload: {
        stream: { id: 'front_door', name: 'Front Door' }, ok: false, code: 'timeout', message: 'DESCRIBE: no answer within 5000 ms',
        health: { state: 'offline', since: '2025-01-05T14:03:07.000Z', changed: true },
      },
    };
    for (const rule of rules) {
      assert.equal(rule.tot, 'jsonata');
      const value = await new Promise((resolve, reject) =>
        util.evaluateJSONataExpression(util.prepareJSONataExpression(rule.to, { id: 'x' }), msg, (err, v) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(v))),
      );
      msg[rule.p] = value;
    }
    assert.equal(msg.topic, 'StreamPulse: Front Door offline');
    assert.match(String(msg.payload), /^Camera Front Door is offline since 2025-01-0[45] \d\d:03:07 — timeout: DESCRIBE: no answer within 5000 ms$/);
  });
});
