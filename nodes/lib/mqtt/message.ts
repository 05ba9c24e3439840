/** One MQTT publish the planner asks for; the connection (link.ts) sends them in order. */
export interface PublishMessage {
  topic: string;
  /** JSON or a plain word; '' clears a retained message. */
  payload: string;
  retain: boolean;
  qos: 0 | 1;
  /**
   * Set on a stream's state message when its health state (or flapping) changed: a queue that
   * holds messages while the broker is away must deliver every such message, in order, while
   * any other message may be replaced by a newer one on the same topic.
   */
  change?: boolean;
}

/** Everything StreamPulse publishes is retained at QoS 1: late subscribers (Home Assistant after a restart) see the latest. */
export function retained(topic: string, payload: string): PublishMessage {
  return { topic, payload, retain: true, qos: 1 };
}

/** A retained message as found on the broker (e.g. discovery left by an earlier run). */
export interface RetainedMessage {
  topic: string;
  payload: string | Uint8Array;
}
