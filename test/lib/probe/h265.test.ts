import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  H265_NAL,
  h265LayerId,
  h265NalType,
  h265TemporalId,
  isH265Irap,
  isH265Vcl,
  isValidH265Header,
  parseH265Sps,
  parseH265SpropSets,
} from '../../../nodes/lib/probe/h265.js';
import { addEmulationPrevention, BitWriter } from '../../fixtures/bit-writer.js';
import { makeClip } from '../../fixtures/clips.js';

interface SpsFields {
  maxSubLayersMinus1?: number;
  subLayerProfilePresent?: boolean[];
  subLayerLevelPresent?: boolean[];
  profileIdc?: number;
  chromaFormatIdc?: number;
  separateColourPlane?: boolean;
  width: number;
  height: number;
  window?: [number, number, number, number];
  orderingForAll?: boolean;
  scalingData?: boolean;
  pcm?: boolean;
  predictedRefSets?: boolean;
  longTermPics?: number;
  vui?: { extendedSar?: boolean; defaultDisplayWindow?: boolean; timing?: { unitsInTick: number; timeScale: number } };
}

/** Builds an SPS NAL unit field by field (H.265 §7.3.2.2.1). */
function buildSps(f: SpsFields): Buffer {
  const w = new BitWriter();
  const maxSub = f.maxSubLayersMinus1 ?? 0;
  w.u(4, 0).u(3, maxSub).flag(true);
  // profile_tier_level(1, maxSub)
  w.u(2, 0).flag(false).u(5, f.profileIdc ?? 1).u(32, 0x60000000).u(4, 0b1001).u(32, 0).u(11, 0).flag(false).u(8, 93);
  for (let i = 0; i < maxSub; i++) w.flag(f.subLayerProfilePresent?.[i] === true).flag(f.subLayerLevelPresent?.[i] === true);
  if (maxSub > 0) for (let i = maxSub; i < 8; i++) w.u(2, 0);
  for (let i = 0; i < maxSub; i++) {
    if (f.subLayerProfilePresent?.[i] === true) w.u(2, 0).flag(false).u(5, 1).u(32, 0x40000000).u(4, 0b1001).u(32, 0).u(11, 0).flag(false);
    if (f.subLayerLevelPresent?.[i] === true) w.u(8, 90);
  }
  w.ue(0);
  const chroma = f.chromaFormatIdc ?? 1;
  w.ue(chroma);
  if (chroma === 3) w.flag(f.separateColourPlane === true);
  w.ue(f.width).ue(f.height);
  w.flag(f.window !== undefined);
  if (f.window) for (const v of f.window) w.ue(v);
  w.ue(0).ue(0).ue(4); // bit depths, log2_max_pic_order_cnt_lsb_minus4 = 4
  const all = f.orderingForAll !== false;
  w.flag(all);
  for (let i = all ? 0 : maxSub; i <= maxSub; i++) w.ue(4).ue(2).ue(0);
  w.ue(0).ue(3).ue(0).ue(3).ue(1).ue(1);
  w.flag(f.scalingData === true);
  if (f.scalingData === true) {
    w.flag(true);
    for (let sizeId = 0; sizeId < 4; sizeId++) {
      for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
        const explicit = (sizeId + matrixId) % 2 === 0;
        w.flag(explicit);
        if (!explicit) {
          w.ue(matrixId === 0 ? 0 : 1);
          continue;
        }
        if (sizeId > 1) w.se(8);
        for (let i = 0; i < Math.min(64, 1 << (4 + (sizeId << 1))); i++) w.se(i % 2 === 0 ? 1 : -1);
      }
    }
  }
  w.flag(true).flag(true); // amp, sao
  w.flag(f.pcm === true);
  if (f.pcm === true) w.u(4, 7).u(4, 7).ue(0).ue(1).flag(false);
  if (f.predictedRefSets === true) {
    w.ue(3);
    w.ue(2).ue(1); // set 0: two negative, one positive
    for (let i = 0; i < 3; i++) w.ue(i).flag(true);
    // set 1, predicted from set 0 (3 delta POCs → 4 entries): used; unused+unused; unused+delta; used → 3
    w.flag(true).flag(false).ue(0);
    w.flag(true).flag(false).flag(false).flag(false).flag(true).flag(true);
    // set 2, predicted from set 1 (3 → 4 entries), all used → 4
    w.flag(true).flag(true).ue(1);
    for (let j = 0; j < 4; j++) w.flag(true);
  } else {
    w.ue(1).ue(1).ue(0).ue(0).flag(true);
  }
  const lt = f.longTermPics ?? 0;
  w.flag(lt > 0);
  if (lt > 0) {
    w.ue(lt);
    for (let i = 0; i < lt; i++) w.u(8, i * 3).flag(i % 2 === 0);
  }
  w.flag(true).flag(true); // temporal MVP, strong intra smoothing
  w.flag(f.vui !== undefined);
  if (f.vui) {
    w.flag(f.vui.extendedSar === true);
    if (f.vui.extendedSar === true) w.u(8, 255).u(16, 16).u(16, 11);
    w.flag(false);
    w.flag(true).u(3, 5).flag(false).flag(true).u(8, 1).u(8, 1).u(8, 1);
    w.flag(false);
    w.flag(false).flag(false).flag(false);
    w.flag(f.vui.defaultDisplayWindow === true);
    if (f.vui.defaultDisplayWindow === true) w.ue(1).ue(2).ue(3).ue(4);
    w.flag(f.vui.timing !== undefined);
    if (f.vui.timing) w.u(32, f.vui.timing.unitsInTick).u(32, f.vui.timing.timeScale).flag(false).flag(false);
    w.flag(false);
  }
  w.flag(false).trailing();
  return Buffer.concat([Buffer.of(0x42, 0x01), addEmulationPrevention(w.toBuffer())]);
}

describe('H.265 NAL header helpers', () => {
  it('reads type, layer id and temporal id from the 2-byte header', () => {
    assert.equal(h265NalType(Buffer.of(0x40, 0x01)), H265_NAL.VPS);
    assert.equal(h265NalType(Buffer.of(0x42, 0x01)), H265_NAL.SPS);
    assert.equal(h265NalType(Buffer.of(0x26, 0x01)), H265_NAL.IDR_W_RADL);
    assert.equal(h265NalType(Buffer.of(0x2a, 0x01)), H265_NAL.CRA);
    assert.equal(h265NalType(Buffer.of(0x62, 0x01)), H265_NAL.FU);
    assert.equal(h265LayerId(Buffer.of(0x01, 0x09)), 33);
    assert.equal(h265TemporalId(Buffer.of(0x02, 0x03)), 2);
    assert.equal(h265TemporalId(Buffer.of(0x02, 0x00)), -1);
  });

  it('validates headers: forbidden bit, TID 0, layer 63 and reserved types are rejected', () => {
    for (const h of [[0x40, 0x01], [0x26, 0x01], [0x2a, 0x01], [0x02, 0x01], [0x4e, 0x01], [0x60, 0x01], [0x62, 0x01], [0x64, 0x01]]) {
      assert.equal(isValidH265Header(Buffer.from(h)), true, h.toString());
    }
    const bad = [[0xc2, 0x01], [0x42, 0x00], [0x43, 0xf9], [0x2c, 0x01], [0x52, 0x01], [0x66, 0x01], [0x14, 0x01], [0x42]];
    for (const h of bad) assert.equal(isValidH265Header(Buffer.from(h)), false, h.toString());
  });

  it('classifies IRAP and VCL types', () => {
    for (let t = 16; t <= 23; t++) assert.equal(isH265Irap(t), true);
    for (const t of [0, 1, 9, 15, 24, 32, 33]) assert.equal(isH265Irap(t), false);
    assert.equal(isH265Vcl(19), true);
    assert.equal(isH265Vcl(32), false);
  });
});

describe('parseH265Sps (hand-built vectors)', () => {
  const cases: Array<[string, SpsFields, { width: number; height: number; fps?: number }]> = [
    ['plain 4:2:0 with timing', { width: 1920, height: 1080, vui: { timing: { unitsInTick: 1, timeScale: 25 } } }, { width: 1920, height: 1080, fps: 25 }],
    ['conformance window in 4:2:0 chroma units', { width: 1920, height: 1088, window: [0, 0, 0, 4] }, { width: 1920, height: 1080 }],
    ['4:2:2 window: 2 wide, 1 high', { chromaFormatIdc: 2, width: 648, height: 368, window: [1, 2, 3, 3] }, { width: 642, height: 362 }],
    ['4:4:4 window in luma samples', { chromaFormatIdc: 3, width: 352, height: 200, window: [0, 1, 0, 1] }, { width: 351, height: 199 }],
    ['separate colour planes: ChromaArrayType 0', { chromaFormatIdc: 3, separateColourPlane: true, width: 352, height: 200, window: [1, 0, 0, 1] }, { width: 351, height: 199 }],
    ['sub-layers with profile and level present', { maxSubLayersMinus1: 2, subLayerProfilePresent: [true, false], subLayerLevelPresent: [true, true], width: 1280, height: 720, vui: { timing: { unitsInTick: 1001, timeScale: 30000 } } }, { width: 1280, height: 720, fps: 29.97 }],
    ['six sub-layers, ordering info for the top one only', { maxSubLayersMinus1: 6, subLayerProfilePresent: [true, true, true, true, true, true], subLayerLevelPresent: [false, true, false, true, false, true], orderingForAll: false, width: 640, height: 360, vui: { timing: { unitsInTick: 1, timeScale: 15 } } }, { width: 640, height: 360, fps: 15 }],
    ['scaling list data, PCM, predicted RPS, long-term refs, full VUI', { scalingData: true, pcm: true, predictedRefSets: true, longTermPics: 3, width: 3840, height: 2160, vui: { extendedSar: true, defaultDisplayWindow: true, timing: { unitsInTick: 1, timeScale: 60 } } }, { width: 3840, height: 2160, fps: 60 }],
    ['no VUI: no fps', { width: 352, height: 288 }, { width: 352, height: 288 }],
  ];
  for (const [name, fields, expected] of cases) {
    it(name, () => {
      const info = parseH265Sps(buildSps(fields));
      assert.ok(info, 'parsed');
      assert.deepEqual({ width: info.width, height: info.height, ...(info.fps !== undefined ? { fps: info.fps } : {}) }, expected);
      assert.equal(info.profileIdc, 1);
      assert.equal(info.levelIdc, 93);
    });
  }

  it('reads the general profile, not a sub-layer one', () => {
    const info = parseH265Sps(buildSps({ profileIdc: 2, maxSubLayersMinus1: 1, subLayerProfilePresent: [true], subLayerLevelPresent: [true], width: 64, height: 64 }));
    assert.equal(info?.profileIdc, 2);
    assert.equal(info?.levelIdc, 93);
  });

  it('returns undefined for what is not a usable SPS, never throws', () => {
    const good = buildSps({ width: 352, height: 288 });
    assert.equal(parseH265Sps(Buffer.concat([Buffer.of(0x44, 0x01), good.subarray(2)])), undefined, 'PPS type');
    assert.equal(parseH265Sps(Buffer.concat([Buffer.of(0x42, 0x00), good.subarray(2)])), undefined, 'TID plus1 = 0');
    assert.equal(parseH265Sps(Buffer.of(0x42, 0x01, 0x01)), undefined, 'too short');
    assert.equal(parseH265Sps(buildSps({ width: 0, height: 288 })), undefined, 'zero width');
    assert.equal(parseH265Sps(buildSps({ width: 352, height: 288, window: [100, 100, 0, 0] })), undefined, 'window wider than picture');
    assert.equal(parseH265Sps(buildSps({ width: 100000, height: 100000 })), undefined, 'absurd size');
  });

  it('survives every truncation and random garbage', () => {
    const full = buildSps({ maxSubLayersMinus1: 2, subLayerProfilePresent: [true, true], subLayerLevelPresent: [true, false], scalingData: true, predictedRefSets: true, width: 1920, height: 1088, window: [0, 0, 0, 4], vui: { timing: { unitsInTick: 1, timeScale: 50 } } });
    assert.equal(parseH265Sps(full)?.fps, 50);
    for (let len = 0; len < full.length; len++) {
      const info = parseH265Sps(full.subarray(0, len));
      if (info) {
        assert.deepEqual([info.width, info.height], [1920, 1080], `len ${len}`);
        assert.ok(info.fps === undefined || info.fps === 50);
      }
    }
    let seed = 99;
    for (let round = 0; round < 2000; round++) {
      const bytes = Buffer.from(Array.from({ length: 3 + (round % 40) }, () => (seed = (seed * 48271) % 2147483647) & 0xff));
      bytes[0] = 0x42;
      bytes[1] = 0x01;
      assert.doesNotThrow(() => parseH265Sps(bytes));
    }
  });
});

describe('parseH265Sps (real x265 output)', () => {
  const cases: Array<{ width: number; height: number; pixelFormat?: string; encoderParams?: string; fps?: number; profile: number }> = [
    { width: 352, height: 288, profile: 1 },
    { width: 1280, height: 720, profile: 1 },
    { width: 1920, height: 1080, profile: 1 },
    { width: 642, height: 362, profile: 1 },
    { width: 351, height: 199, pixelFormat: 'yuv444p', profile: 4 },
    { width: 642, height: 362, pixelFormat: 'yuv422p10le', profile: 4 },
    { width: 1920, height: 1080, pixelFormat: 'yuv420p10le', profile: 2 },
    { width: 640, height: 360, encoderParams: 'temporal-layers=1:bframes=3', profile: 1 },
    { width: 640, height: 360, encoderParams: 'scaling-list=default', profile: 1 },
    { width: 640, height: 360, fps: 30000 / 1001, profile: 1 },
  ];
  for (const c of cases) {
    const label = `${c.width}x${c.height} ${c.pixelFormat ?? ''} ${c.encoderParams ?? ''} ${c.fps ?? 10} fps`;
    it(label, { timeout: 120_000 }, async () => {
      const { profile: _profile, ...encoding } = c;
      const clip = await makeClip('H265', { ...encoding, fps: c.fps ?? 10, seconds: 0.5, gop: 5 });
      const info = parseH265Sps(clip.sps);
      assert.ok(info, 'parsed');
      assert.equal(info.width, c.width);
      assert.equal(info.height, c.height);
      assert.equal(info.profileIdc, c.profile);
      assert.equal(info.fps, c.fps === undefined ? 10 : 29.97);
      if (c.encoderParams?.startsWith('temporal-layers') === true) {
        assert.equal(((clip.sps[2] as number) >> 1) & 0x07, 1, 'the clip really has a sub-layer');
      }
    });
  }
});

describe('parseH265SpropSets', () => {
  it('returns sprop-vps, sprop-sps, sprop-pps in that order, keys case-insensitive', async () => {
    const clip = await makeClip('H265', { width: 352, height: 288, fps: 10, seconds: 0.5, gop: 5 });
    assert.ok(clip.vps);
    const sets = parseH265SpropSets({
      'sprop-pps': clip.pps.toString('base64'),
      'SPROP-SPS': clip.sps.toString('base64'),
      'sprop-vps': clip.vps.toString('base64'),
      'profile-id': '1',
    });
    assert.deepEqual(sets, [clip.vps, clip.sps, clip.pps]);
    assert.equal(parseH265Sps(sets[1] as Buffer)?.height, 288);
  });

  it('tolerates missing keys and junk', () => {
    assert.deepEqual(parseH265SpropSets({}), []);
    assert.deepEqual(parseH265SpropSets({ 'sprop-sps': '***', 'sprop-pps': 'RAHA8vA8kAA=' }), [Buffer.from('RAHA8vA8kAA=', 'base64')]);
  });
});
