/**
 * The Home Assistant app folder against the documented rules (no Docker engine here, so
 * everything around the image is checked instead): config.yaml as the Supervisor and the app
 * linter read it, its agreement with options.ts, the translations, the Dockerfile's inputs and
 * stages, the s6-overlay service, AppArmor, the icons and repository.yaml.
 * https://developers.home-assistant.io/docs/apps/configuration
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { CAMERA_ID_PATTERN, CAMERA_URL_PATTERN, OPTIONS_SCHEMA, RANGES } from '../../nodes/lib/addon/options.js';
import { INGRESS_PORT } from '../../nodes/lib/addon/launch.js';

/** The checkout: the first directory up from here (or the working directory) with addon/config.yaml. */
function repoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'addon', 'config.yaml')) && existsSync(join(dir, 'package.json'))) return dir;
  }
  return process.cwd();
}
const ROOT = repoRoot();
const ADDON = join(ROOT, 'addon');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
type Yaml = Record<string, unknown>;
const config = parse(read('addon/config.yaml')) as Yaml;
const pkg = JSON.parse(read('package.json')) as { version: string; devDependencies: Record<string, string> };
const schema = config.schema as Yaml;
const cameraSchema = (schema.cameras as Yaml[])[0] as Record<string, string>;

/** The option types the Supervisor understands (docs: "Options / Schema"), `?` = optional. */
const SCHEMA_TYPE =
  /^(bool|email|url|port|device(\(subsystem=[a-z]+\))?|(str|password)(\(\d*,\d*\))?|int(\(-?\d*,-?\d*\))?|float(\([-\d.]*,[-\d.]*\))?|match\(.+\)|list\(.+\))\??$/;

/** Documented defaults (docs table "Optional configuration options"): restating one is a linter error. */
const DEFAULTS: Record<string, unknown> = {
  startup: 'application', boot: 'auto', init: true, host_network: false, host_ipc: false, host_dbus: false,
  host_pid: false, host_uts: false, hassio_api: false, hassio_role: 'default', homeassistant_api: false,
  docker_api: false, full_access: false, apparmor: true, audio: false, video: false, gpio: false, usb: false,
  uart: false, udev: false, devicetree: false, kernel_modules: false, stdin: false, legacy: false,
  auth_api: false, ingress: false, ingress_port: 8099, ingress_entry: '/', ingress_stream: false,
  panel_icon: 'mdi:puzzle', panel_admin: true, backup: 'hot', stage: 'stable', timeout: 10, tmpfs: false,
  realtime: false, journald: false,
};
const KNOWN_KEYS = new Set([
  ...Object.keys(DEFAULTS), 'name', 'version', 'slug', 'description', 'arch', 'machine', 'url', 'webui', 'ports',
  'ports_description', 'devices', 'homeassistant', 'privileged', 'map', 'environment', 'options', 'schema', 'image',
  'discovery', 'services', 'panel_title', 'backup_pre', 'backup_post', 'backup_exclude', 'breaking_versions', 'ulimits',
]);

describe('addon/config.yaml', () => {
  it('has the required keys, the package version and a URI-friendly slug', () => {
    for (const key of ['name', 'version', 'slug', 'description', 'arch']) assert.ok(config[key] !== undefined, `${key} is required`);
    assert.equal(config.name, 'StreamPulse');
    assert.equal(config.version, pkg.version, 'config.yaml version must follow package.json');
    assert.equal(config.slug, 'streampulse');
    assert.match(String(config.slug), /^[-_.A-Za-z0-9]+$/);
    assert.ok(typeof config.description === 'string' && config.description.length > 20);
    assert.doesNotThrow(() => new URL(String(config.url)));
  });

  it('targets exactly the supported architectures', () => {
    assert.deepEqual([...(config.arch as string[])].sort(), ['aarch64', 'amd64']);
  });

  it('knows every key and restates no default; no watchdog, no obsolete keys', () => {
    for (const key of Object.keys(config)) assert.ok(KNOWN_KEYS.has(key), `unknown config key ${key}`);
    for (const [key, value] of Object.entries(DEFAULTS)) {
      assert.notDeepEqual(config[key], value, `${key}: ${JSON.stringify(value)} is the default; leave it out`);
    }
    for (const key of ['watchdog', 'codenotary', 'advanced', 'auto_uart', 'snapshot']) assert.equal(config[key], undefined, key);
    assert.ok(!existsSync(join(ADDON, 'build.yaml')) && !existsSync(join(ADDON, 'build.json')), 'build.yaml is legacy');
  });

  it('runs s6-overlay v3 as init and serves the UI through ingress only', () => {
    assert.equal(config.init, false);
    assert.equal(config.ingress, true);
    assert.equal(config.ingress_port ?? 8099, INGRESS_PORT, 'Node-RED listens on the ingress port');
    assert.match(String(config.panel_icon), /^mdi:[a-z0-9-]+$/);
    assert.ok(typeof config.panel_title === 'string' && config.panel_title !== '');
    for (const key of ['ports', 'webui', 'host_network']) assert.equal(config[key], undefined, `${key}: ingress only`);
  });

  it('asks the Supervisor for MQTT and maps nothing it does not need', () => {
    const services = config.services as string[];
    for (const s of services) assert.match(s, /^(mqtt|mysql):(provide|want|need)$/);
    assert.ok(services.includes('mqtt:want') || services.includes('mqtt:need'));
    assert.equal(config.map, undefined, 'all state lives in /data, which is always mapped');
    if (config.image !== undefined) {
      assert.ok(typeof config.image === 'string');
      assert.match(config.image, /^[a-z0-9.-]+\/[a-z0-9._/-]+$/, 'image: a generic name, no tag');
    }
  });

  it('has schema types the Supervisor understands, nested at most two levels', () => {
    const check = (value: unknown, at: string, depth: number): void => {
      assert.ok(depth <= 2, `${at}: nested deeper than two levels`);
      if (typeof value === 'string') assert.match(value, SCHEMA_TYPE, `${at}: unknown schema type`);
      else if (Array.isArray(value)) {
        assert.equal(value.length, 1, `${at}: a list schema has exactly one element`);
        check(value[0], `${at}[]`, depth + 1);
      } else {
        assert.ok(typeof value === 'object' && value !== null, `${at}: must be a type, list or mapping`);
        for (const [k, v] of Object.entries(value)) check(v, `${at}.${k}`, depth + 1);
      }
    };
    for (const [key, value] of Object.entries(schema)) check(value, key, 0);
  });

  it('gives defaults only to required options (a default on an optional one would make it required)', () => {
    const options = config.options as Yaml;
    for (const key of Object.keys(options)) {
      const type = schema[key];
      assert.ok(type !== undefined, `option ${key} has no schema`);
      assert.ok(typeof type !== 'string' || !type.endsWith('?'), `${key} is optional: leave it out of options`);
    }
    for (const [key, type] of Object.entries(schema)) {
      if (typeof type !== 'string' || !type.endsWith('?')) assert.ok(key in options, `required option ${key} needs a default`);
    }
  });

  it('agrees with options.ts: keys, required-ness, ranges, choices and URL/id rules', () => {
    const camera = OPTIONS_SCHEMA.properties.cameras.items;
    const pairs: [string, Record<string, unknown>, Record<string, unknown>, readonly string[]][] = [
      ['top', schema, OPTIONS_SCHEMA.properties, OPTIONS_SCHEMA.required],
      ['camera', cameraSchema, camera.properties, camera.required],
    ];
    for (const [where, yamlSide, jsonSide, required] of pairs) {
      assert.deepEqual(Object.keys(yamlSide).sort(), Object.keys(jsonSide).sort(), `${where} keys`);
      const yamlRequired = Object.entries(yamlSide).filter(([, t]) => typeof t !== 'string' || !t.endsWith('?')).map(([k]) => k);
      assert.deepEqual(yamlRequired.sort(), [...required].sort(), `${where} required keys`);
      for (const [key, type] of Object.entries(yamlSide)) {
        if (typeof type !== 'string') continue;
        const range = /^int\((\d+),(\d+)\)/.exec(type);
        if (range) assert.deepEqual([Number(range[1]), Number(range[2])], [RANGES[key as keyof typeof RANGES].min, RANGES[key as keyof typeof RANGES].max], key);
        const choices = /^list\((.+)\)\??$/.exec(type);
        if (choices) assert.deepEqual(choices[1]?.split('|'), (jsonSide[key] as { enum: string[] }).enum, key);
      }
    }
    const urlRule = new RegExp(/^match\((.+)\)$/.exec(cameraSchema.url ?? '')?.[1] ?? '^$');
    for (const url of ['rtsp://h/x', 'RTSPS://h:322/x', 'http://h/x.mjpg', 'https://h/a.m3u8', 'ftp://h/x', 'h/x', 'rtsp:/h']) {
      assert.equal(urlRule.test(url), new RegExp(CAMERA_URL_PATTERN).test(url) && url.length > 'rtsp://'.length, url);
    }
    assert.equal(/^match\((.+)\)\?$/.exec(cameraSchema.id ?? '')?.[1], CAMERA_ID_PATTERN);
  });
});

describe('addon/translations/en.yaml', () => {
  const translations = (parse(read('addon/translations/en.yaml')) as { configuration: Record<string, { name: string; description: string; fields?: Record<string, { name: string; description: string }> }> }).configuration;
  it('names and describes every option and camera field, and nothing else', () => {
    assert.deepEqual(Object.keys(translations).sort(), Object.keys(schema).sort());
    for (const [key, entry] of Object.entries(translations)) {
      assert.ok(entry.name && entry.description, `${key} needs a name and a description`);
    }
    const fields = translations.cameras?.fields ?? {};
    assert.deepEqual(Object.keys(fields).sort(), Object.keys(cameraSchema).sort());
    for (const [key, entry] of Object.entries(fields)) assert.ok(entry.name && entry.description, `cameras.${key}`);
  });
});

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function dockerfile(): { op: string; args: string }[] {
  const joined = read('addon/Dockerfile')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [op = '', ...rest] = line.trim().split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

describe('addon/Dockerfile', () => {
  const steps = dockerfile();
  const froms = steps.map((s, i) => [s, i] as const).filter(([s]) => s.op === 'FROM');
  const lastFrom = froms[froms.length - 1]?.[1] ?? 0;
  const runtime = steps.slice(lastFrom);
  const build = steps.slice(0, lastFrom);
  const argDefault = (name: string): string | undefined =>
    steps.find((s) => s.op === 'ARG' && s.args.startsWith(`${name}=`))?.args.slice(name.length + 1);

  it('builds FROM a pinned Home Assistant base image given by BUILD_FROM', () => {
    const base = argDefault('BUILD_FROM') ?? '';
    assert.match(base, /^ghcr\.io\/home-assistant\/base:\d+\.\d+$/);
    assert.ok(froms.length >= 2, 'a build stage and a runtime stage');
    for (const [s] of froms) assert.match(s.args, /^\$\{?BUILD_FROM\}?( AS \w+)?$/i);
  });

  it('copies only files that exist (build context: the repository root), all let through by the dockerignore', () => {
    const ignore = read('addon/Dockerfile.dockerignore').split('\n').filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    const sources = steps.filter((s) => s.op === 'COPY' && !s.args.includes('--from')).flatMap((s) => s.args.split(' ').slice(0, -1));
    assert.ok(sources.length > 0);
    for (const source of sources) {
      assert.ok(existsSync(join(ROOT, source)), `COPY source ${source} is missing (dist/ comes from npm run build; flows/ is the shipped default flow)`);
      assert.ok(ignore.some((allowed) => source === allowed || source.startsWith(`${allowed}/`)), `${source} is excluded by the dockerignore`);
    }
  });

  it('keeps build tools in the build stage; the runtime has Node.js and Alpine ffmpeg', () => {
    const installs = (stage: typeof steps): string => stage.filter((s) => s.op === 'RUN' && s.args.includes('apk add')).map((s) => s.args).join(' ');
    assert.match(installs(build), /python3/);
    assert.match(installs(build), /\bg\+\+/);
    assert.ok(build.some((s) => s.op === 'RUN' && s.args.includes('npm ci --omit=dev')));
    assert.match(installs(runtime), /\bnodejs\b/);
    assert.match(installs(runtime), /\bffmpeg\b/);
    assert.doesNotMatch(installs(runtime), /python3|\bmake\b|g\+\+|build-base/);
    assert.equal(argDefault('NODE_RED_VERSION'), pkg.devDependencies['node-red'], 'Node-RED in the image = the tested one');
  });

  it('labels the image for the Supervisor and checks its health on the ingress port', () => {
    const labels = runtime.filter((s) => s.op === 'LABEL').map((s) => s.args).join(' ');
    for (const label of ['io.hass.type="app"', 'io.hass.version=', 'io.hass.arch=']) assert.ok(labels.includes(label), label);
    assert.equal(argDefault('BUILD_VERSION'), pkg.version);
    const health = runtime.find((s) => s.op === 'HEALTHCHECK');
    assert.ok(health, 'HEALTHCHECK replaces the obsolete watchdog');
    assert.match(health.args, new RegExp(`http://127\\.0\\.0\\.1:${INGRESS_PORT}/`));
    assert.ok(runtime.some((s) => s.op === 'COPY' && s.args === 'addon/rootfs /'));
  });
});

describe('addon/rootfs s6-overlay service', () => {
  const dir = join(ADDON, 'rootfs/etc/s6-overlay/s6-rc.d');
  it('defines the streampulse longrun, started by the user bundle after base', () => {
    assert.equal(readFileSync(join(dir, 'streampulse/type'), 'utf8').trim(), 'longrun');
    assert.ok(existsSync(join(dir, 'streampulse/dependencies.d/base')));
    assert.ok(existsSync(join(dir, 'user/contents.d/streampulse')));
  });

  it('has executable, syntactically valid run and finish scripts; run execs the app CLI', () => {
    for (const name of ['run', 'finish']) {
      const path = join(dir, 'streampulse', name);
      accessSync(path, constants.X_OK);
      execFileSync('/bin/sh', ['-n', path]);
    }
    const run = readFileSync(join(dir, 'streampulse/run'), 'utf8');
    assert.match(run, /^#!\/command\/with-contenv sh\n/);
    assert.match(run, /^exec node \/opt\/streampulse\/dist\/nodes\/cli\/addon\.js$/m);
    assert.ok(existsSync(join(ROOT, 'nodes/cli/addon.ts')));
    assert.ok(dockerfile().some((s) => s.op === 'COPY' && s.args === 'dist/nodes /opt/streampulse/dist/nodes'));
    assert.match(readFileSync(join(dir, 'streampulse/finish'), 'utf8'), /\/run\/s6\/basedir\/bin\/halt/);
  });
});

/** Width and height from a PNG's IHDR chunk (PNG spec §11.2.2). */
function pngSize(path: string): [number, number] {
  const bytes = readFileSync(path);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${path} is not a PNG`);
  assert.equal(bytes.toString('latin1', 12, 16), 'IHDR');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe('addon presentation and security files', () => {
  it('has a 128x128 icon.png and a wide logo.png', () => {
    assert.deepEqual(pngSize(join(ADDON, 'icon.png')), [128, 128]);
    const [w, h] = pngSize(join(ADDON, 'logo.png'));
    assert.ok(w > h && h >= 50, `logo ${w}x${h}`);
  });

  it('has DOCS.md and a CHANGELOG.md entry for this version', () => {
    assert.ok(statSync(join(ADDON, 'DOCS.md')).size > 500);
    assert.match(read('addon/CHANGELOG.md'), new RegExp(`^## \\[${String(config.version).replace(/\./g, '\\.')}\\]`, 'm'));
  });

  it('has one AppArmor profile named after the slug, with the flags the Supervisor needs', () => {
    const text = read('addon/apparmor.txt');
    assert.match(text, /^#include <tunables\/global>$/m);
    const profiles = text.split('\n').filter((line) => /^profile \S+/.test(line));
    assert.equal(profiles.length, 1, 'the Supervisor accepts exactly one top-level profile');
    assert.match(profiles[0] ?? '', new RegExp(`^profile ${String(config.slug)} flags=\\(attach_disconnected,mediate_deleted\\) \\{$`));
  });

  const parser = ['/usr/sbin/apparmor_parser', '/sbin/apparmor_parser'].find((p) => existsSync(p));
  it('has an AppArmor profile apparmor_parser accepts', { skip: parser === undefined && 'apparmor_parser is not installed' }, () => {
    execFileSync(parser ?? '', ['-Q', '-K', join(ADDON, 'apparmor.txt')], { stdio: 'pipe' });
  });

  it('has a repository.yaml at the root that makes the repository an app store', () => {
    const repo = parse(read('repository.yaml')) as Yaml;
    assert.ok(typeof repo.name === 'string' && repo.name !== '');
    assert.doesNotThrow(() => new URL(String(repo.url)));
  });

  it('has no other config.yaml the Supervisor could mistake for an app (it searches recursively)', () => {
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (['node_modules', 'dist', '.git'].includes(entry.name)) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/^config\.(ya?ml|json)$/.test(entry.name)) found.push(path.slice(ROOT.length + 1));
      }
    };
    walk(ROOT);
    assert.deepEqual(found, ['addon/config.yaml']);
  });
});
