/**
 * Running ffprobe and ffmpeg: one bounded child process, and the binary's major version.
 *
 * No shell (an argument vector: a password in a URL needs no quoting). The child is killed with
 * SIGKILL at the deadline, on abort and on runaway output, and its exit is always awaited, so no
 * process outlives the call and no zombie is left. stdout and stderr are capped.
 */
import { execFile, spawn } from 'node:child_process';

export interface BoundedRunOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** More stdout than this kills the child (`killedFor: 'output'`). */
  maxStdoutBytes: number;
  /** stderr keeps its last this-many characters: the final error line is the one that explains. */
  maxStderrChars: number;
}

export interface BoundedRunResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number | null;
  killedFor?: 'deadline' | 'abort' | 'output';
  /** The binary could not be started (ENOENT, EACCES…). */
  spawnError?: Error;
}

export function runBounded(bin: string, args: readonly string[], opts: BoundedRunOptions): Promise<BoundedRunResult> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let killedFor: BoundedRunResult['killedFor'];
    let spawnError: Error | undefined;
    const kill = (why: NonNullable<BoundedRunResult['killedFor']>): void => {
      killedFor ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('deadline'), opts.timeoutMs);
    const onAbort = (): void => kill('abort');
    opts.signal.addEventListener('abort', onAbort, { once: true });
    if (opts.signal.aborted) kill('abort');
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > opts.maxStdoutBytes) kill('output');
      else out.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-opts.maxStderrChars);
    });
    // A binary that cannot be spawned emits 'error' then 'close'; a running one only 'close'
    // (after its exit and the end of its pipes), so 'close' alone settles the promise.
    child.on('error', (err) => {
      spawnError ??= err;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      resolve({ stdout: Buffer.concat(out), stderr, exitCode: code, ...(killedFor ? { killedFor } : {}), ...(spawnError ? { spawnError } : {}) });
    });
  });
}

const majorVersions = new Map<string, Promise<number | undefined>>();

/**
 * The major version of an ffmpeg or ffprobe binary, asked once per binary (`-version`); undefined
 * for a git build ("N-12345-g…") or a binary that does not answer, which is asked again next time
 * (it may get installed). FFmpeg 5 renamed the RTSP socket timeout: `-stimeout` (µs) became
 * `-timeout`, which in FFmpeg 4 meant "listen for an incoming connection" and would turn a probe
 * into a server — ffprobe-static ships 4.0.
 * https://github.com/FFmpeg/FFmpeg/commit/6f34f031908b8f16482e951ee5232116fb42b46a
 */
export function ffmpegMajorVersion(bin: string, timeoutMs = 5000): Promise<number | undefined> {
  let cached = majorVersions.get(bin);
  if (!cached) {
    cached = new Promise((resolve) => {
      try {
        const timeout = Math.max(1, Math.floor(Math.min(5000, timeoutMs)));
        execFile(bin, ['-version'], { timeout, killSignal: 'SIGKILL', windowsHide: true }, (err, stdout) => {
          const m = /^ff(?:mpeg|probe) version n?(\d+)\./m.exec(String(stdout));
          resolve(err || !m?.[1] ? undefined : Number(m[1]));
        });
      } catch {
        resolve(undefined);
      }
    });
    majorVersions.set(bin, cached);
    void cached.then((v) => v === undefined && majorVersions.delete(bin));
  }
  return cached;
}

/** The RTSP socket-timeout option this binary understands (see ffmpegMajorVersion). */
export function rtspTimeoutOption(major: number | undefined): '-stimeout' | '-timeout' {
  // Unknown version (a git build): assume a current FFmpeg.
  return major !== undefined && major < 5 ? '-stimeout' : '-timeout';
}
