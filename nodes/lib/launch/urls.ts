/**
 * The addresses printed at start: the editor, and the dashboard of every serving heartbeat-store
 * in the flows file (the user may have moved it from /streampulse), on each address people can
 * type: localhost, and the machine's LAN addresses when Node-RED listens on every interface.
 */
import type { NetworkInterfaceInfo } from 'node:os';

export const DEFAULT_DASHBOARD_BASE = '/streampulse';

/** Base paths of the enabled heartbeat-store nodes that serve HTTP, in flow order, without duplicates. */
export function dashboardBases(flows: unknown): string[] {
  if (!Array.isArray(flows)) return [];
  const nodes = flows.filter((n): n is Record<string, unknown> => typeof n === 'object' && n !== null);
  const disabledTabs = new Set(nodes.filter((n) => n.type === 'tab' && n.disabled === true).map((n) => n.id));
  const bases: string[] = [];
  for (const node of nodes) {
    if (node.type !== 'heartbeat-store' || node.d === true || disabledTabs.has(node.z) || node.serve === false) continue;
    const base = `/${(typeof node.base === 'string' && node.base.trim() !== '' ? node.base : DEFAULT_DASHBOARD_BASE).trim().replace(/^\/+|\/+$/g, '')}`;
    if (/^(\/[A-Za-z0-9._~-]+)+$/.test(base) && !bases.includes(base)) bases.push(base);
  }
  return bases;
}

/**
 * Host names for URLs: the configured host, or — for every interface — localhost and up to
 * `max` non-internal IPv4 addresses (what a phone on the same network can open).
 */
export function displayHosts(host: string | undefined, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>, max = 2): string[] {
  if (host !== undefined && host !== '0.0.0.0' && host !== '::') return [host.includes(':') ? `[${host}]` : host];
  const lan: string[] = [];
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family === 'IPv4' && !info.internal && lan.length < max && !lan.includes(info.address)) lan.push(info.address);
    }
  }
  return ['localhost', ...lan];
}

export interface StartUrls {
  editor: string[];
  dashboards: string[];
}

/** `httpRoot` is `/` or `/a/b/`; a dashboard URL ends with `/` (the page lives at the base's index). */
export function startUrls(hosts: readonly string[], port: number, httpRoot: string, bases: readonly string[]): StartUrls {
  const origins = hosts.map((h) => `http://${h}:${port}`);
  const root = httpRoot.replace(/\/$/, '');
  return {
    editor: origins.map((o) => `${o}${httpRoot}`),
    dashboards: bases.flatMap((base) => origins.map((o) => `${o}${root}${base}/`)),
  };
}
