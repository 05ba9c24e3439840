import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  H264_NAL,
  h264NalRefIdc,
  h264NalType,
  isValidH264Header,
  parseH264Sps,
  parseSpropParameterSets,
} from '../../../nodes/lib/probe/h264.js';
import { addEmulationPrevention, BitWriter } from '../../fixtures/bit-writer.js';
import { makeClip } from '../../fixtures/clips.js';

interface SpsFields {
  profileIdc: number;
  levelIdc?: number;
  chromaFormatIdc?: number;
  separateColourPlane?: boolean;
  scalingLists?: boolean;
  pocType?: number;
  widthMbs: number;
  heightMapUnits: number;
  frameMbsOnly?: boolean;
  crop?: [number, number, number, number];
  vui?: { extendedSar?: boolean; signalType?: boolean; timing?: { unitsInTick: number; timeScale: number } };
}

/** Builds an SPS NAL unit field by field (H.264 §7.3.2.1.1). */
function buildSps(f: SpsFields): Buffer {
  const w = new BitWriter();
  w.u(8, f.profileIdc).u(8, 0).u(8, f.levelIdc ?? 40).ue(0);
  if ([100, 110, 122, 244].includes(f.profileIdc)) {
    const chroma = f.chromaFormatIdc ?? 1;
    w.ue(chroma);
    if (chroma === 3) w.flag(f.separateColourPlane === true);
    w.ue(0).ue(0).flag(false);
    w.flag(f.scalingLists === true);
    if (f.scalingLists === true) {
      for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) {
        const present = i % 3 !== 2;
        w.flag(present);
        if (!present) continue;
        if (i === 0) {
          w.se(-8); // next scale 0 on the first entry: use the default list, nothing more follows
        } else {
          for (let j = 0; j < (i < 6 ? 16 : 64); j++) w.se(j % 2 === 0 ? 3 : -2);
        }
      }
    }
  }
  w.ue(0); // log2_max_frame_num_minus4
  const poc = f.pocType ?? 0;
  w.ue(poc);
  if (poc === 0) w.ue(2);
  if (poc === 1) {
    w.flag(false).se(-1).se(2).ue(3);
    w.se(4).se(-5).se(6);
  }
  w.ue(1).flag(false).ue(f.widthMbs - 1).ue(f.heightMapUnits - 1);
  w.flag(f.frameMbsOnly !== false);
  if (f.frameMbsOnly === false) w.flag(true);
  w.flag(true);
  w.flag(f.crop !== undefined);
  if (f.crop) for (const c of f.crop) w.ue(c);
  w.flag(f.vui !== undefined);
  if (f.vui) {
    w.flag(f.vui.extendedSar === true);
    if (f.vui.extendedSar === true) w.u(8, 255).u(16, 4).u(16, 3);
    w.flag(false); // overscan
    w.flag(f.vui.signalType === true);
    if (f.vui.signalType === true) w.u(3, 5).flag(true).flag(true).u(8, 1).u(8, 1).u(8, 1);
    w.flag(false); // chroma location
    w.flag(f.vui.timing !== undefined);
    if (f.vui.timing) w.u(32, f.vui.timing.unitsInTick).u(32, f.vui.timing.timeScale).flag(true);
    w.flag(false).flag(false).flag(false); // HRD, HRD, pic_struct: the parser must not need them
  }
  w.trailing();
  return Buffer.concat([Buffer.of(0x67), addEmulationPrevention(w.toBuffer())]);
}

describe('H.264 NAL header helpers', () => {
  it('reads type and nal_ref_idc', () => {
    assert.equal(h264NalType(Buffer.of(0x65)), H264_NAL.IDR_SLICE);
    assert.equal(h264NalRefIdc(Buffer.of(0x65)), 3);
    assert.equal(h264NalType(Buffer.of(0x41)), H264_NAL.NON_IDR_SLICE);
    assert.equal(h264NalRefIdc(Buffer.of(0x01)), 0);
    assert.equal(h264NalType(Buffer.of(0x7c)), H264_NAL.FU_A);
    assert.equal(h264NalType(Buffer.alloc(0)), 0);
  });

  it('accepts NAL and packetization types, rejects forbidden bit, 0 and 30..31', () => {
    for (const b of [0x67, 0x68, 0x65, 0x41, 0x06, 0x09, 0x78, 0x7c, 0x5c]) assert.equal(isValidH264Header(b), true, b.toString(16));
    for (const b of [0xe5, 0x80, 0x00, 0x60, 0x7e, 0x7f, undefined]) assert.equal(isValidH264Header(b), false, String(b));
  });
});

describe('parseH264Sps (hand-built vectors)', () => {
  const cases: Array<[string, SpsFields, { width: number; height: number; fps?: number }]> = [
    ['baseline, no crop', { profileIdc: 66, widthMbs: 22, heightMapUnits: 18 }, { width: 352, height: 288 }],
    ['1080p: 4:2:0 crop of 4 units = 8 lines', { profileIdc: 100, widthMbs: 120, heightMapUnits: 68, crop: [0, 0, 0, 4] }, { width: 1920, height: 1080 }],
    ['interlaced 1080i: map units are field MB pairs, crop unit 4', { profileIdc: 77, widthMbs: 120, heightMapUnits: 34, frameMbsOnly: false, crop: [0, 0, 0, 2] }, { width: 1920, height: 1080 }],
    ['4:4:4 crops in luma samples', { profileIdc: 244, chromaFormatIdc: 3, widthMbs: 22, heightMapUnits: 13, crop: [0, 1, 0, 9] }, { width: 351, height: 199 }],
    ['4:4:4 separate planes: ChromaArrayType 0', { profileIdc: 244, chromaFormatIdc: 3, separateColourPlane: true, widthMbs: 22, heightMapUnits: 13, crop: [1, 0, 2, 0] }, { width: 351, height: 206 }],
    ['4:2:2 crops 2 wide, 1 high', { profileIdc: 122, chromaFormatIdc: 2, widthMbs: 41, heightMapUnits: 23, crop: [0, 7, 0, 6] }, { width: 642, height: 362 }],
    ['monochrome interlaced: crop unit 1 x 2', { profileIdc: 100, chromaFormatIdc: 0, widthMbs: 45, heightMapUnits: 18, frameMbsOnly: false, crop: [0, 0, 0, 3] }, { width: 720, height: 570 }],
    ['scaling lists (incl. a default-list shortcut) are skipped exactly', { profileIdc: 100, scalingLists: true, widthMbs: 80, heightMapUnits: 45, vui: { timing: { unitsInTick: 1, timeScale: 50 } } }, { width: 1280, height: 720, fps: 25 }],
    ['4:4:4 has 12 scaling lists', { profileIdc: 244, chromaFormatIdc: 3, scalingLists: true, widthMbs: 40, heightMapUnits: 30, vui: { timing: { unitsInTick: 1001, timeScale: 60000 } } }, { width: 640, height: 480, fps: 29.97 }],
    ['POC type 1 with a cycle', { profileIdc: 77, pocType: 1, widthMbs: 20, heightMapUnits: 15 }, { width: 320, height: 240 }],
    ['POC type 2', { profileIdc: 66, pocType: 2, widthMbs: 20, heightMapUnits: 15 }, { width: 320, height: 240 }],
    ['VUI with extended SAR and colour description before timing', { profileIdc: 66, widthMbs: 20, heightMapUnits: 15, vui: { extendedSar: true, signalType: true, timing: { unitsInTick: 1, timeScale: 30 } } }, { width: 320, height: 240, fps: 15 }],
    ['VUI without timing gives no fps', { profileIdc: 66, widthMbs: 20, heightMapUnits: 15, vui: { signalType: true } }, { width: 320, height: 240 }],
  ];
  for (const [name, fields, expected] of cases) {
    it(name, () => {
      const info = parseH264Sps(buildSps(fields));
      assert.ok(info, 'parsed');
      assert.deepEqual(
        { width: info.width, height: info.height, ...(info.fps !== undefined ? { fps: info.fps } : {}) },
        expected,
      );
      assert.equal(info.profileIdc, fields.profileIdc);
      assert.equal(info.levelIdc, 40);
    });
  }

  it('returns undefined for what is not a usable SPS, never throws', () => {
    const good = buildSps({ profileIdc: 66, widthMbs: 22, heightMapUnits: 18 });
    assert.equal(parseH264Sps(Buffer.concat([Buffer.of(0x68), good.subarray(1)])), undefined, 'PPS type');
    assert.equal(parseH264Sps(Buffer.concat([Buffer.of(0xe7), good.subarray(1)])), undefined, 'forbidden bit');
    assert.equal(parseH264Sps(Buffer.of(0x67)), undefined, 'header only');
    assert.equal(parseH264Sps(buildSps({ profileIdc: 66, widthMbs: 22, heightMapUnits: 18, crop: [0, 0, 0, 200] })), undefined, 'crop larger than picture');
    assert.equal(parseH264Sps(buildSps({ profileIdc: 66, pocType: 3, widthMbs: 22, heightMapUnits: 18 })), undefined, 'pic_order_cnt_type 3');
    assert.equal(parseH264Sps(buildSps({ profileIdc: 66, widthMbs: 2000, heightMapUnits: 2000 })), undefined, 'absurd size');
  });

  it('survives every truncation and random garbage', () => {
    const full = buildSps({ profileIdc: 100, scalingLists: true, widthMbs: 120, heightMapUnits: 68, crop: [0, 0, 0, 4], vui: { timing: { unitsInTick: 1, timeScale: 50 } } });
    for (let len = 0; len < full.length; len++) {
      const info = parseH264Sps(full.subarray(0, len));
      // Whatever a prefix yields must be right: cut inside the VUI may only lose the frame rate.
      if (info) {
        assert.deepEqual([info.width, info.height], [1920, 1080], `len ${len}`);
        assert.ok(info.fps === undefined || info.fps === 25, `len ${len}`);
      }
    }
    let seed = 42;
    for (let round = 0; round < 2000; round++) {
      const bytes = Buffer.from(Array.from({ length: 2 + (round % 30) }, () => (seed = (seed * 48271) % 2147483647) & 0xff));
      bytes[0] = 0x67;
      assert.doesNotThrow(() => parseH264Sps(bytes));
    }
  });
});

describe('parseH264Sps (real x264 output)', () => {
  const cases: Array<{ width: number; height: number; pixelFormat?: string; encoderParams?: string; fps?: number; profile: number }> = [
    { width: 352, height: 288, profile: 66 },
    { width: 1280, height: 720, profile: 66 },
    { width: 1920, height: 1080, profile: 66 },
    { width: 642, height: 362, profile: 66 },
    { width: 1920, height: 1080, encoderParams: 'interlaced=1', profile: 77 },
    { width: 720, height: 576, encoderParams: 'interlaced=1', profile: 77 },
    { width: 642, height: 362, encoderParams: 'cqm=jvt', profile: 100 },
    { width: 1280, height: 720, pixelFormat: 'yuv420p10le', profile: 110 },
    { width: 642, height: 362, pixelFormat: 'yuv422p', profile: 122 },
    { width: 351, height: 199, pixelFormat: 'yuv444p', profile: 244 },
    { width: 640, height: 360, fps: 30000 / 1001, profile: 66 },
  ];
  for (const c of cases) {
    const label = `${c.width}x${c.height} ${c.pixelFormat ?? ''} ${c.encoderParams ?? ''} ${c.fps ?? 10} fps`;
    it(label, { timeout: 120_000 }, async () => {
      const { profile: _profile, ...encoding } = c;
      const clip = await makeClip('H264', { ...encoding, fps: c.fps ?? 10, seconds: 0.5, gop: 5 });
      const info = parseH264Sps(clip.sps);
      assert.ok(info, 'parsed');
      assert.equal(info.width, c.width);
      assert.equal(info.height, c.height);
      assert.equal(info.profileIdc, c.profile);
      assert.equal(info.fps, c.fps === undefined ? 10 : 29.97);
    });
  }
});

describe('parseSpropParameterSets', () => {
  it('decodes the comma-separated base64 of an fmtp line into SPS and PPS', async () => {
    const clip = await makeClip('H264', { width: 352, height: 288, fps: 10, seconds: 0.5, gop: 5 });
    const value = `${clip.sps.toString('base64')},${clip.pps.toString('base64')}`;
    const sets = parseSpropParameterSets(value);
    assert.deepEqual(sets, [clip.sps, clip.pps]);
    assert.equal(parseH264Sps(sets[0] as Buffer)?.width, 352);
  });

  it('tolerates spaces, missing padding and empty entries, skips junk', () => {
    const sets = parseSpropParameterSets(' Z0IAH+KQ , aM48gA ,, %%%,');
    assert.deepEqual(sets, [Buffer.from('Z0IAH+KQ', 'base64'), Buffer.from('aM48gA==', 'base64')]);
    assert.deepEqual(parseSpropParameterSets(''), []);
  });
});
