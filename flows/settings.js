/* global require, module, __dirname */
/**
 * Node-RED settings for StreamPulse: `npm start` (dist/nodes/cli/start.js), Docker, systemd and
 * the Home Assistant app load this file. Every value comes from the environment — STREAMPULSE_DATA,
 * PORT, HOST, STREAMPULSE_HTTP_ROOT, STREAMPULSE_LOG_LEVEL, STREAMPULSE_ADMIN_USER/PASSWORD,
 * STREAMPULSE_ALLOWED_CLIENTS, … (see the README, "Configuration") — and is checked by
 * nodes/lib/launch/env.ts; a bad value stops Node-RED with a message naming the variable.
 *
 * Change the environment rather than this file: it is replaced on every update. It also works with
 * plain Node-RED: `node-red --settings <this file>` (then without the launcher's WebSocket guard).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- Node-RED loads settings as CommonJS
const { join } = require('node:path');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { settingsForProcess } = require(join(__dirname, '..', 'dist', 'nodes', 'lib', 'launch', 'settings.js'));

module.exports = settingsForProcess(join(__dirname, '..'), process.env);
