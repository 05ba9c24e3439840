import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codecsFromAttribute, parseAttributes, parsePlaylist } from '../../../nodes/lib/probe/hls.js';
import { probeHttp } from '../../../nodes/lib/probe/http-probe.js';
import type { ProbeContext } from '../../../nodes/lib/probe/types.js';
import { freePort, startProcess, startPythonHttp, waitFor, whenListening } from '../../fixtures/http-media.js';
import type { Proc } from '../../fixtures/http-media.js';
import { makeContext, runModule } from '../../fixtures/probe-context.js';
import type { Run } from '../../fixtures/probe-context.js';

function runHttp(url: string, overrides: Partial<ProbeContext> & { timeoutMs?: number } = {}): Promise<Run> {
  return runModule(probeHttp, makeContext(url, overrides));
}

describe('parsePlaylist', () => {
  it('parses a master playlist: variants with BANDWIDTH, RESOLUTION, CODECS, URIs resolved', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-STREAM-INF:BANDWIDTH=2560000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2"',
      'hi/index.m3u8',
      '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,URI="iframes.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=640000,CODECS="hvc1.1.6.L93.B0"',
      '/lo/index.m3u8?token=x',
    ].join('\r\n');
    const p = parsePlaylist(text, 'http://cam.local/live/master.m3u8');
    assert.deepEqual(p, {
      kind: 'master',
      variants: [
        { uri: 'http://cam.local/live/hi/index.m3u8', bandwidth: 2560000, width: 1920, height: 1080, codecs: 'avc1.640028,mp4a.40.2' },
        { uri: 'http://cam.local/lo/index.m3u8?token=x', bandwidth: 640000, codecs: 'hvc1.1.6.L93.B0' },
      ],
    });
  });

  it('parses a media playlist: sequence numbers, durations, dates carried forward, ENDLIST, MAP', () => {
    const text = [
      '\uFEFF#EXTM3U',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-MEDIA-SEQUENCE:100',
      '#EXT-X-MAP:URI="init.mp4"',
      '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.000Z',
      '#EXTINF:2.0,',
      'a.ts',
      '#EXTINF:1.5,title',
      'b.ts',
      '# a comment',
      '#EXTINF:2,',
      'https://cdn.example/c.ts',
      '#EXT-X-ENDLIST',
    ].join('\n');
    const p = parsePlaylist(text, new URL('http://cam/x/live.m3u8'));
    const t0 = Date.parse('2024-01-01T00:00:00Z');
    assert.deepEqual(p, {
      kind: 'media',
      targetDuration: 2,
      mediaSequence: 100,
      endList: true,
      map: 'http://cam/x/init.mp4',
      segments: [
        { uri: 'http://cam/x/a.ts', duration: 2, sequence: 100, programDateTime: t0 },
        { uri: 'http://cam/x/b.ts', duration: 1.5, sequence: 101, programDateTime: t0 + 2000 },
        { uri: 'https://cdn.example/c.ts', duration: 2, sequence: 102, programDateTime: t0 + 3500 },
      ],
    });
  });

  it('refuses what is not a playlist and a media playlist without TARGETDURATION', () => {
    const html = parsePlaylist('<!DOCTYPE html><title>Login</title>', 'http://x/');
    assert.ok('error' in html && /^not an HLS playlist: starts with "<!DOCTYPE html>/.test(html.error));
    assert.deepEqual(parsePlaylist('#EXTM3U\n#EXTINF:1,\na.ts\n', 'http://x/'), { error: 'HLS media playlist without EXT-X-TARGETDURATION' });
  });

  it('parses attribute lists and CODECS', () => {
    assert.deepEqual(parseAttributes('BANDWIDTH=1,CODECS="a,b",NAME="x y", RESOLUTION=2x3'), { BANDWIDTH: '1', CODECS: 'a,b', NAME: 'x y', RESOLUTION: '2x3' });
    assert.deepEqual(codecsFromAttribute('avc1.4d401f,mp4a.40.2'), { video: 'H.264', audio: 'AAC' });
    assert.deepEqual(codecsFromAttribute('hev1.1.6.L93.B0'), { video: 'H.265' });
  });
});

/** A live HLS stream written by ffmpeg into `dir/name/`. */
function startHlsWriter(dir: string, name: string, video: string[], extra: string[] = []): Proc {
  return startProcess('ffmpeg', [
    '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=25', ...video, '-g', '25',
    '-f', 'hls', '-hls_time', '1', '-hls_list_size', '4', '-hls_flags', 'delete_segments+program_date_time', ...extra,
    join(dir, `${name}.m3u8`),
  ]);
}

const segmentsIn = (file: string): number => {
  try {
    return (readFileSync(file, 'utf8').match(/#EXTINF/g) ?? []).length;
  } catch {
    return 0;
  }
};

describe('HLS from real ffmpeg writers served by python http.server', () => {
  let dir: string;
  let port: number;
  let web: Proc;
  const writers: Proc[] = [];
  const url = (path: string): string => `http://127.0.0.1:${port}/${path}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'streampulse-hls-'));
    const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast'];
    const x265 = ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error'];
    writers.push(startHlsWriter(dir, 'h264', x264));
    writers.push(startHlsWriter(dir, 'h265', x265));
    writers.push(startHlsWriter(dir, 'fmp4', [...x265, '-tag:v', 'hvc1'], ['-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'fmp4-init.mp4']));
    writers.push(startHlsWriter(dir, 'crashing', x264));
    port = await freePort();
    web = startPythonHttp(port, dir);
    const ready = await waitFor(() => ['h264', 'h265', 'fmp4', 'crashing'].every((n) => segmentsIn(join(dir, `${n}.m3u8`)) >= 2), 20_000);
    assert.ok(ready, writers.map((w) => w.stderr()).join('\n'));
    // A master playlist: the cheap variant is live, the expensive one does not exist.
    writeFileSync(
      join(dir, 'master.m3u8'),
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=9000000,RESOLUTION=1920x1080\nmissing.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.64001e,mp4a.40.2"\nh264.m3u8\n',
    );
    await whenListening(() => runHttp(url('master.m3u8')));
  });

  after(async () => {
    await Promise.all([...writers.map((w) => w.stop()), web.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('live H.264 media playlist: ok, codec and 640x480 from the newest segment', async () => {
    const r = await runHttp(url('h264.m3u8'));
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.ctx.facts.protocol, 'hls');
    assert.equal(r.ctx.facts.media?.codec, 'H.264');
    assert.deepEqual([r.ctx.facts.media?.width, r.ctx.facts.media?.height], [640, 480]);
    assert.equal(r.evidence?.level, 'keyframe');
    assert.ok((r.evidence?.mediaBytes ?? 0) > 0 && (r.evidence?.mediaBytes ?? 0) <= 256 * 1024);
    assert.ok(r.evidence?.hlsSequence && r.evidence.hlsSequence.value >= 1);
    assert.ok(r.ctx.timings.firstFrameMs !== undefined);
    assert.match(r.message, /^HLS H\.264 640x480, live, media sequence \d+/);
  });

  it('live H.265 in MPEG-TS and in fMP4 (size from the init section)', async () => {
    for (const name of ['h265', 'fmp4']) {
      const r = await runHttp(url(`${name}.m3u8`));
      assert.equal(r.code, 'ok', `${name}: ${r.message}`);
      assert.equal(r.ctx.facts.media?.codec, 'H.265', name);
      assert.deepEqual([r.ctx.facts.media?.width, r.ctx.facts.media?.height], [640, 480], name);
    }
  });

  it('master playlist: follows the lowest-bandwidth variant, codecs from CODECS', async () => {
    const r = await runHttp(url('master.m3u8'));
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.ctx.facts.media?.codec, 'H.264');
    assert.equal(r.ctx.facts.media?.audio, 'AAC');
  });

  it('the sequence advances between probes: ok with a new firstSeen', async () => {
    const first = await runHttp(url('h264.m3u8'));
    await new Promise((r) => setTimeout(r, 2200));
    const second = await runHttp(url('h264.m3u8'), { ...(first.evidence ? { previous: first.evidence } : {}) });
    assert.equal(second.code, 'ok', second.message);
    assert.ok((second.evidence?.hlsSequence?.value ?? 0) > (first.evidence?.hlsSequence?.value ?? 0));
  });

  it('a writer that crashed: the unchanged sequence is frozen after 3 target durations', async () => {
    await writers[3]?.stop('SIGKILL');
    const first = await runHttp(url('crashing.m3u8'));
    assert.equal(first.code, 'ok', first.message);
    const soon = await runHttp(url('crashing.m3u8'), { ...(first.evidence ? { previous: first.evidence } : {}) });
    assert.equal(soon.code, 'ok', 'not stale yet');
    assert.equal(soon.evidence?.hlsSequence?.firstSeen, first.evidence?.hlsSequence?.firstSeen, 'firstSeen carried over');
    await new Promise((r) => setTimeout(r, 3300));
    const later = await runHttp(url('crashing.m3u8'), { ...(soon.evidence ? { previous: soon.evidence } : {}) });
    assert.equal(later.code, 'frozen', later.message);
    const staleSeconds = Number(/the media sequence has not advanced for (\d+) s/.exec(later.message)?.[1]);
    assert.ok(staleSeconds >= 3 && staleSeconds < 10, later.message);
    assert.equal(later.evidence?.hlsSequence?.firstSeen, first.evidence?.hlsSequence?.firstSeen);
  });

  it('a playlist whose newest PROGRAM-DATE-TIME is old: frozen on the first probe', async () => {
    const live = readFileSync(join(dir, 'h264.m3u8'), 'utf8');
    const old = new Date(Date.now() - 120_000).toISOString();
    writeFileSync(join(dir, 'old.m3u8'), live.replace(/#EXT-X-PROGRAM-DATE-TIME:.*/g, `#EXT-X-PROGRAM-DATE-TIME:${old}`));
    const r = await runHttp(url('old.m3u8'));
    assert.equal(r.code, 'frozen', r.message);
    assert.match(r.message, /has not advanced for 1[12]\d s/);
  });

  it('a segment that is an HTML page: bad_frame; a missing playlist: not_found', async () => {
    writeFileSync(join(dir, 'login.html'), '<!DOCTYPE html><html><title>Login</title></html>');
    writeFileSync(join(dir, 'html.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nlogin.html\n#EXT-X-ENDLIST\n');
    const r = await runHttp(url('html.m3u8'));
    assert.equal(r.code, 'bad_frame');
    assert.match(r.message, /neither MPEG-TS nor fMP4: starts with "<!DOCTYPE html>/);
    assert.equal((await runHttp(url('nope.m3u8'))).code, 'not_found');
  });
});
