/**
 * examples/home-assistant-dashboard.yaml must only name entities that StreamPulse's discovery
 * suggests (default_entity_id) for the cameras "front-door" and "garage" and the hub.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { cameraDiscovery, hubDiscovery } from '../../nodes/lib/mqtt/discovery.js';
import type { MqttNaming } from '../../nodes/lib/mqtt/topics.js';

const naming: MqttNaming = { discoveryPrefix: 'homeassistant', baseTopic: 'streampulse' };
const origin = { version: '0.1.0' };

/** Every string under an `entity` or `entities` key, however nested. */
function entityIds(node: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(node)) for (const item of node) entityIds(item, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'entity' && typeof value === 'string') out.add(value);
      else if (key === 'entities' && Array.isArray(value)) {
        for (const item of value) {
          if (typeof item === 'string') out.add(item);
          else entityIds(item, out);
        }
      } else entityIds(value, out);
    }
  }
  return out;
}

describe('examples/home-assistant-dashboard.yaml', () => {
  it('names only entities the discovery of "front-door", "garage" and the hub creates', async () => {
    const text = await readFile(join(__dirname, '..', '..', '..', 'examples', 'home-assistant-dashboard.yaml'), 'utf8');
    const used = entityIds(parse(text) as unknown);
    const offered = new Set<string>();
    for (const payload of [
      cameraDiscovery(naming, { id: 'front-door', name: 'Front door' }, origin),
      cameraDiscovery(naming, { id: 'garage', name: 'Garage' }, origin),
      hubDiscovery(naming, origin),
    ]) {
      for (const c of Object.values(payload.cmps)) offered.add(c.default_entity_id);
    }
    assert.ok(used.size >= 20, `${used.size} entities used`);
    const unknown = [...used].filter((id) => !offered.has(id));
    assert.deepEqual(unknown, [], `not created by discovery: ${unknown.join(', ')}`);
  });
});
