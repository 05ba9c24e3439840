/**
 * H.265 / HEVC: the two-byte NAL unit header (ITU-T H.265 §7.3.1.2,
 * https://www.itu.int/rec/T-REC-H.265), the RTP payload types of RFC 7798
 * (https://www.rfc-editor.org/rfc/rfc7798#section-4.4), and the sequence parameter set
 * (§7.3.2.2) for the picture size, profile, level and, with VUI timing, the frame rate.
 */
import { BitReader, removeEmulationPrevention } from './bitreader.js';
import { decodeBase64List, frameRate } from './h264.js';

export const H265_NAL = {
  TRAIL_N: 0,
  TRAIL_R: 1,
  /** IRAP pictures are types 16..23, of which 16..21 are defined (§7.4.2.2, table 7-1). */
  BLA_W_LP: 16,
  BLA_W_RADL: 17,
  BLA_N_LP: 18,
  IDR_W_RADL: 19,
  IDR_N_LP: 20,
  CRA: 21,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  AUD: 35,
  EOS: 36,
  EOB: 37,
  FD: 38,
  PREFIX_SEI: 39,
  SUFFIX_SEI: 40,
  /** RTP payload structures (RFC 7798 §4.4). */
  AP: 48,
  FU: 49,
  PACI: 50,
} as const;

/** nal_unit_type: bits 1..6 of the first byte. */
export function h265NalType(nal: Buffer): number {
  return ((nal[0] ?? 0) >> 1) & 0x3f;
}

/** nuh_layer_id: 0 for every stream a single-layer camera sends. */
export function h265LayerId(nal: Buffer): number {
  return (((nal[0] ?? 0) & 0x01) << 5) | ((nal[1] ?? 0) >> 3);
}

/** TemporalId = nuh_temporal_id_plus1 - 1; -1 marks an invalid header (plus1 must not be 0). */
export function h265TemporalId(nal: Buffer): number {
  return ((nal[1] ?? 0) & 0x07) - 1;
}

/**
 * A header a conforming RTP sender can emit: forbidden_zero_bit clear, nuh_temporal_id_plus1
 * non-zero, layer id below 63 (reserved), and a type that is defined: VCL 0..9 and 16..21,
 * non-VCL 32..40, or an RFC 7798 payload structure 48..50. Reserved types are never sent.
 */
export function isValidH265Header(nal: Buffer): boolean {
  if (nal.length < 2) return false;
  if (((nal[0] as number) & 0x80) !== 0 || h265TemporalId(nal) < 0 || h265LayerId(nal) === 63) return false;
  const type = h265NalType(nal);
  return type <= 9 || (type >= 16 && type <= 21) || (type >= 32 && type <= 40) || (type >= 48 && type <= 50);
}

/** IRAP: a picture a decoder can start from (BLA, IDR, CRA; §3.73). */
export function isH265Irap(type: number): boolean {
  return type >= H265_NAL.BLA_W_LP && type <= 23;
}

/** VCL NAL units (types 0..31) carry slice segments. */
export function isH265Vcl(type: number): boolean {
  return type < 32;
}

export interface H265SpsInfo {
  width: number;
  height: number;
  profileIdc: number;
  levelIdc: number;
  fps?: number;
}

/** Larger than any level allows (level 6.2 MaxLumaPs = 35,651,584). */
const MAX_LUMA_SAMPLES = 35_651_584;

/** Parses an SPS NAL unit (with its 2-byte header). Malformed or truncated input gives undefined. */
export function parseH265Sps(nal: Buffer): H265SpsInfo | undefined {
  if (nal.length < 4 || !isValidH265Header(nal) || h265NalType(nal) !== H265_NAL.SPS) return undefined;
  const r = new BitReader(removeEmulationPrevention(nal.subarray(2)));
  try {
    r.skip(4); // sps_video_parameter_set_id
    const maxSubLayersMinus1 = r.u(3);
    if (maxSubLayersMinus1 > 6) return undefined;
    r.skip(1); // sps_temporal_id_nesting_flag
    const { profileIdc, levelIdc } = profileTierLevel(r, maxSubLayersMinus1);
    if (r.ue() > 15) return undefined; // sps_seq_parameter_set_id
    const chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3) return undefined;
    const separateColourPlane = chromaFormatIdc === 3 ? r.flag() : false;
    let width = r.ue();
    let height = r.ue();
    if (width === 0 || height === 0 || width * height > MAX_LUMA_SAMPLES) return undefined;
    if (r.flag()) {
      // conformance_window_flag: offsets in chroma units (§7.4.3.2.1, table 6-1).
      const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
      const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
      const subHeightC = chromaArrayType === 1 ? 2 : 1;
      const left = r.ue();
      const right = r.ue();
      const top = r.ue();
      const bottom = r.ue();
      width -= subWidthC * (left + right);
      height -= subHeightC * (top + bottom);
    }
    if (width <= 0 || height <= 0) return undefined;
    const info: H265SpsInfo = { width, height, profileIdc, levelIdc };
    const fps = spsFrameRate(r, maxSubLayersMinus1);
    if (fps !== undefined) info.fps = fps;
    return info;
  } catch {
    return undefined;
  }
}

/**
 * profile_tier_level(1, maxNumSubLayersMinus1) (§7.3.3). The sub-layer part is easy to get wrong:
 * the presence flags come first for all sub-layers, then 2-bit alignment fillers up to 8 entries,
 * then 88 profile bits and 8 level bits per sub-layer that has them.
 */
function profileTierLevel(r: BitReader, maxSubLayersMinus1: number): { profileIdc: number; levelIdc: number } {
  r.skip(2 + 1); // general_profile_space, general_tier_flag
  const profileIdc = r.u(5);
  r.skip(32 + 4 + 43 + 1); // compatibility flags, source flags, constraint flags, inbld/reserved
  const levelIdc = r.u(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.flag());
    levelPresent.push(r.flag());
  }
  if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i] === true) r.skip(88);
    if (levelPresent[i] === true) r.skip(8);
  }
  return { profileIdc, levelIdc };
}

/**
 * Walks the rest of the SPS to vui_parameters() and reads the timing info (§7.3.2.2.1, E.2.1).
 * HEVC ticks count pictures, so fps = time_scale / num_units_in_tick. Any surprise on the way
 * costs only the frame rate.
 */
function spsFrameRate(r: BitReader, maxSubLayersMinus1: number): number | undefined {
  try {
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    const log2MaxPocLsb = r.ue() + 4;
    const orderingForAll = r.flag(); // sps_sub_layer_ordering_info_present_flag
    for (let i = orderingForAll ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
      r.ue(); // sps_max_dec_pic_buffering_minus1
      r.ue(); // sps_max_num_reorder_pics
      r.ue(); // sps_max_latency_increase_plus1
    }
    for (let i = 0; i < 6; i++) r.ue(); // coding/transform block sizes and hierarchy depths
    if (r.flag() && r.flag()) skipScalingListData(r); // scaling_list_enabled, sps_scaling_list_data_present
    r.skip(2); // amp_enabled_flag, sample_adaptive_offset_enabled_flag
    if (r.flag()) {
      // pcm_enabled_flag: bit depths (4+4), then two ue sizes and the loop filter flag.
      r.skip(8);
      r.ue();
      r.ue();
      r.skip(1);
    }
    skipShortTermRefPicSets(r);
    if (r.flag()) {
      // long_term_ref_pics_present_flag
      const count = r.ue();
      if (count > 32) return undefined;
      for (let i = 0; i < count; i++) r.skip(log2MaxPocLsb + 1);
    }
    r.skip(2); // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
    if (!r.flag()) return undefined; // vui_parameters_present_flag
    if (r.flag() && r.u(8) === 255) r.skip(32); // aspect ratio, Extended_SAR
    if (r.flag()) r.skip(1); // overscan
    if (r.flag()) {
      r.skip(4); // video_format, video_full_range_flag
      if (r.flag()) r.skip(24); // colour description
    }
    if (r.flag()) {
      r.ue();
      r.ue(); // chroma sample locations
    }
    r.skip(3); // neutral_chroma_indication, field_seq, frame_field_info_present flags
    if (r.flag()) for (let i = 0; i < 4; i++) r.ue(); // default display window
    if (!r.flag()) return undefined; // vui_timing_info_present_flag
    const numUnitsInTick = r.u(32);
    const timeScale = r.u(32);
    return frameRate(timeScale, numUnitsInTick);
  } catch {
    return undefined;
  }
}

/** scaling_list_data() (§7.3.4). */
function skipScalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.flag()) {
        r.ue(); // scaling_list_pred_matrix_id_delta
        continue;
      }
      const coefficients = Math.min(64, 1 << (4 + (sizeId << 1)));
      if (sizeId > 1) r.se(); // scaling_list_dc_coef_minus8
      for (let i = 0; i < coefficients; i++) r.se();
    }
  }
}

/**
 * num_short_term_ref_pic_sets and each st_ref_pic_set() (§7.3.7). A set predicted from the one
 * before it has one entry per delta POC of that set plus one, so the counts must be tracked.
 */
function skipShortTermRefPicSets(r: BitReader): void {
  const sets = r.ue();
  if (sets > 64) throw new RangeError('num_short_term_ref_pic_sets > 64');
  const numDeltaPocs: number[] = [];
  for (let idx = 0; idx < sets; idx++) {
    const predicted = idx !== 0 && r.flag(); // inter_ref_pic_set_prediction_flag
    if (predicted) {
      // In the SPS, delta_idx_minus1 is absent (inferred 0): the reference is the previous set.
      r.skip(1); // delta_rps_sign
      r.ue(); // abs_delta_rps_minus1
      const refCount = numDeltaPocs[idx - 1] ?? 0;
      let count = 0;
      for (let j = 0; j <= refCount; j++) {
        const usedByCurrPic = r.flag();
        const useDelta = usedByCurrPic || r.flag();
        if (useDelta) count++;
      }
      numDeltaPocs.push(count);
    } else {
      const negative = r.ue();
      const positive = r.ue();
      if (negative > 16 || positive > 16) throw new RangeError('too many pictures in a reference set');
      for (let i = 0; i < negative + positive; i++) {
        r.ue(); // delta_poc_sX_minus1
        r.skip(1); // used_by_curr_pic_sX_flag
      }
      numDeltaPocs.push(negative + positive);
    }
  }
}

/**
 * The parameter sets an H.265 SDP carries out of band (RFC 7798 §7.1): sprop-vps, sprop-sps
 * and sprop-pps, each comma-separated base64, returned in that order. Keys match case-insensitively.
 */
export function parseH265SpropSets(fmtp: Record<string, string>): Buffer[] {
  const byKey = new Map(Object.entries(fmtp).map(([k, v]) => [k.toLowerCase(), v]));
  const out: Buffer[] = [];
  for (const key of ['sprop-vps', 'sprop-sps', 'sprop-pps']) {
    const value = byKey.get(key);
    if (value !== undefined) out.push(...decodeBase64List(value));
  }
  return out;
}
