/**
 * The Prometheus text exposition format, version 0.0.4: `# HELP` and `# TYPE` once per metric
 * before its samples, all samples of a metric in one group, `\n` line ends including the last.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge';

export interface Sample {
  labels?: Readonly<Record<string, string>>;
  value: number;
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed only. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go's ParseFloat spellings for the special values. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** One metric: HELP, TYPE and its samples. Names are constants of the caller, checked anyway. */
export function metricFamily(name: string, type: MetricType, help: string, samples: Iterable<Sample>): string {
  if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
  const lines = [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`];
  for (const { labels, value } of samples) {
    const pairs = Object.entries(labels ?? {}).map(([key, v]) => {
      if (!LABEL.test(key) || key.startsWith('__')) throw new Error(`invalid label name ${key}`);
      return `${key}="${escapeLabelValue(v)}"`;
    });
    lines.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
  }
  return lines.join('\n') + '\n';
}
