import type { LinkStatus } from '../lib/mqtt/link.js';
import type { Node, NodeAPI } from '../shared/node-red.js';

/** The node status from the link's: shown at most once a second, and only when it changed. */
export class PublishStatus {
  private shown = '';
  private timer: NodeJS.Timeout | undefined;
  private latest: LinkStatus | undefined;

  constructor(private readonly RED: NodeAPI, private readonly node: Node) {}

  update(status: LinkStatus): void {
    this.latest = status;
    this.timer ??= setTimeout(() => this.show(), 1000);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private show(): void {
    this.timer = undefined;
    const s = this.latest;
    if (!s) return;
    const queued = s.outbox.queued;
    // A refused login or an unreachable broker stays red while it retries (state 'connecting').
    const status = s.state === 'connected'
      ? { fill: 'green' as const, shape: 'dot' as const, text: this.RED._('health-publish.status.connected', { queued }) }
      : s.state === 'connecting' && s.lastError === undefined
        ? { fill: 'yellow' as const, shape: 'ring' as const, text: this.RED._('health-publish.status.connecting', { queued }) }
        : { fill: 'red' as const, shape: 'ring' as const, text: this.RED._('health-publish.status.disconnected', { queued, error: s.lastError ?? '' }) };
    const key = JSON.stringify(status);
    if (key !== this.shown) this.node.status(status);
    this.shown = key;
  }
}
