/**
 * Flags for the Node.js process that runs Node-RED with StreamPulse. Every launcher passes them on
 * the command line: `npm start` (package.json), the Home Assistant app (nodes/cli/addon.ts), the
 * README's Docker and systemd examples; the capacity bench runs Node-RED with them too, so its
 * figures are those of what ships. A test keeps the copies in package.json and the README equal.
 *
 * `--max-semi-space-size=1` (MiB): V8 sizes the young generation from the heap limit, not from
 * what the program needs; with Node 24 on a 24 GiB machine new space grew to 128 MiB. A monitor's
 * garbage is short-lived (a probe lives ~100 ms, a message less), so a small nursery costs no CPU
 * and keeps memory flat. Measured side by side (BENCHMARKS.md): RSS at 1,000 cameras 297 → 195 MB,
 * at 10,000 706 → 627 MB peak, Node-RED CPU 51.5 → 48.6 % of one core.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
