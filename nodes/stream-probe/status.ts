/** The node status: "12/14 online" with a dot colour, or the list error in red. */
import type { SourceState } from '../streampulse-cameras/camera-source.js';
import type { MonitorSummary } from '../lib/monitor/stream-monitor.js';
import type { NodeAPI, NodeStatus } from '../shared/node-red.js';

const MAX_TEXT = 60;

export function statusFor(RED: Pick<NodeAPI, '_'>, summary: MonitorSummary, list: SourceState | undefined): NodeStatus {
  if (list && !list.ok) {
    // The status has room for the field and the reason, not for the file path before them.
    const first = (list.errors[0] ?? '').replace(/^.*?:\d+: /, '').replace(/^[^\s:]*\/[^\s:]*: /, '');
    return { fill: 'red', shape: 'ring', text: shorten(RED._('stream-probe.status.invalid', { error: first })) };
  }
  if (!list) return { fill: 'grey', shape: 'ring', text: RED._('stream-probe.status.loading') };
  if (summary.total === 0) return { fill: 'grey', shape: 'ring', text: RED._('stream-probe.status.empty') };
  const counts = { online: summary.online, total: summary.total };
  if (summary.paused) return { fill: 'grey', shape: 'ring', text: RED._('stream-probe.status.paused', counts) };
  const fill = summary.offline > 0 ? 'red' : summary.online === summary.total ? 'green' : 'yellow';
  return { fill, shape: 'dot', text: RED._('stream-probe.status.summary', counts) };
}

function shorten(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 1)}…`;
}
