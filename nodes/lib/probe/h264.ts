/**
 * H.264 / AVC: NAL unit headers (ITU-T H.264 §7.3.1, https://www.itu.int/rec/T-REC-H.264), the
 * RTP payload types of RFC 6184 (https://www.rfc-editor.org/rfc/rfc6184#section-5.2), and the
 * sequence parameter set (§7.3.2.1.1) for the picture size and, with VUI timing, the frame rate.
 */
import { BitReader, removeEmulationPrevention } from './bitreader.js';

export const H264_NAL = {
  NON_IDR_SLICE: 1,
  IDR_SLICE: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
  END_OF_SEQUENCE: 10,
  END_OF_STREAM: 11,
  FILLER: 12,
  /** RTP aggregation/fragmentation units (RFC 6184 §5.2, table 1). */
  STAP_A: 24,
  STAP_B: 25,
  MTAP16: 26,
  MTAP24: 27,
  FU_A: 28,
  FU_B: 29,
} as const;

/** nal_unit_type: the low 5 bits of the first byte. */
export function h264NalType(nal: Buffer): number {
  return (nal[0] ?? 0) & 0x1f;
}

/** nal_ref_idc: 0 means the unit is not used for reference (RFC 6184 §5.3 NRI). */
export function h264NalRefIdc(nal: Buffer): number {
  return ((nal[0] ?? 0) >> 5) & 0x03;
}

/**
 * A header that a conforming sender can put in an RTP payload: forbidden_zero_bit clear and a
 * type that is a NAL unit (1..23) or an RFC 6184 packetization type (24..29). 0 and 30..31 are
 * unspecified and never sent.
 */
export function isValidH264Header(byte: number | undefined): boolean {
  if (byte === undefined || (byte & 0x80) !== 0) return false;
  const type = byte & 0x1f;
  return type >= 1 && type <= 29;
}

/** Slices carry the picture (VCL NAL units, H.264 §7.4.1.2.2: types 1..5). */
export function isH264Vcl(type: number): boolean {
  return type >= 1 && type <= 5;
}

export interface H264SpsInfo {
  width: number;
  height: number;
  profileIdc: number;
  levelIdc: number;
  /** Frames per second from VUI timing, when the encoder wrote it. */
  fps?: number;
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling lists (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);
/** Larger than any level allows (level 6.2: 139,264 macroblocks per frame). */
const MAX_MBS = 139_264;

/** Parses an SPS NAL unit (with its header byte). Malformed or truncated input gives undefined. */
export function parseH264Sps(nal: Buffer): H264SpsInfo | undefined {
  if (nal.length < 4 || !isValidH264Header(nal[0]) || h264NalType(nal) !== H264_NAL.SPS) return undefined;
  const r = new BitReader(removeEmulationPrevention(nal.subarray(1)));
  try {
    const profileIdc = r.u(8);
    r.skip(8); // constraint_set0..5 flags + reserved_zero_2bits
    const levelIdc = r.u(8);
    if (r.ue() > 31) return undefined; // seq_parameter_set_id

    let chromaFormatIdc = 1; // inferred 4:2:0 when absent
    let separateColourPlane = false;
    if (HIGH_PROFILES.has(profileIdc)) {
      chromaFormatIdc = r.ue();
      if (chromaFormatIdc > 3) return undefined;
      if (chromaFormatIdc === 3) separateColourPlane = r.flag();
      r.ue(); // bit_depth_luma_minus8
      r.ue(); // bit_depth_chroma_minus8
      r.skip(1); // qpprime_y_zero_transform_bypass_flag
      if (r.flag()) {
        // seq_scaling_matrix_present_flag: 8 lists (12 for 4:4:4), 4x4 ones first.
        const lists = chromaFormatIdc === 3 ? 12 : 8;
        for (let i = 0; i < lists; i++) {
          if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
        }
      }
    }

    r.ue(); // log2_max_frame_num_minus4
    const picOrderCntType = r.ue();
    if (picOrderCntType === 0) {
      r.ue(); // log2_max_pic_order_cnt_lsb_minus4
    } else if (picOrderCntType === 1) {
      r.skip(1); // delta_pic_order_always_zero_flag
      r.se(); // offset_for_non_ref_pic
      r.se(); // offset_for_top_to_bottom_field
      const cycle = r.ue();
      if (cycle > 255) return undefined;
      for (let i = 0; i < cycle; i++) r.se();
    } else if (picOrderCntType !== 2) {
      return undefined;
    }
    r.ue(); // max_num_ref_frames
    r.skip(1); // gaps_in_frame_num_value_allowed_flag
    const widthInMbs = r.ue() + 1;
    const heightInMapUnits = r.ue() + 1;
    const frameMbsOnly = r.flag();
    if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
    r.skip(1); // direct_8x8_inference_flag

    // Interlaced streams code the height in field macroblock pairs (§7.4.2.1.1, (7-18)).
    const frameHeightInMbs = (frameMbsOnly ? 1 : 2) * heightInMapUnits;
    if (widthInMbs * frameHeightInMbs > MAX_MBS) return undefined;
    let width = widthInMbs * 16;
    let height = frameHeightInMbs * 16;

    if (r.flag()) {
      // frame_cropping_flag: offsets are in chroma sample units (§7.4.2.1.1, (7-19)..(7-22)).
      const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
      const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
      const subHeightC = chromaArrayType === 1 ? 2 : 1;
      const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
      const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
      const left = r.ue();
      const right = r.ue();
      const top = r.ue();
      const bottom = r.ue();
      width -= cropUnitX * (left + right);
      height -= cropUnitY * (top + bottom);
    }
    if (width <= 0 || height <= 0) return undefined;

    const info: H264SpsInfo = { width, height, profileIdc, levelIdc };
    const fps = r.flag() ? vuiFrameRate(r) : undefined;
    if (fps !== undefined) info.fps = fps;
    return info;
  } catch {
    return undefined;
  }
}

/** scaling_list() (§7.3.2.1.1.1): only its length matters here. */
function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.se();
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

/**
 * vui_parameters() up to the timing info (Annex E.1.1). H.264 counts field ticks, so a frame
 * lasts two ticks: fps = time_scale / (2 * num_units_in_tick) (E.2.1). A VUI cut short loses
 * only the frame rate, never the size that was already read.
 */
function vuiFrameRate(r: BitReader): number | undefined {
  try {
    if (r.flag()) {
      // aspect_ratio_info_present_flag; 255 = Extended_SAR with explicit width and height.
      if (r.u(8) === 255) r.skip(32);
    }
    if (r.flag()) r.skip(1); // overscan_info_present_flag → overscan_appropriate_flag
    if (r.flag()) {
      // video_signal_type_present_flag: video_format, video_full_range_flag
      r.skip(4);
      if (r.flag()) r.skip(24); // colour_description_present_flag
    }
    if (r.flag()) {
      r.ue(); // chroma_sample_loc_type_top_field
      r.ue(); // chroma_sample_loc_type_bottom_field
    }
    if (!r.flag()) return undefined; // timing_info_present_flag
    const numUnitsInTick = r.u(32);
    const timeScale = r.u(32);
    return frameRate(timeScale, 2 * numUnitsInTick);
  } catch {
    return undefined;
  }
}

/** Rounded to 3 decimals (29.97); absurd values are treated as absent. */
export function frameRate(timeScale: number, ticksPerFrame: number): number | undefined {
  if (timeScale <= 0 || ticksPerFrame <= 0) return undefined;
  const fps = Math.round((timeScale / ticksPerFrame) * 1000) / 1000;
  return fps > 0 && fps <= 1000 ? fps : undefined;
}

/**
 * `sprop-parameter-sets` of an SDP fmtp line (RFC 6184 §8.1): base64 NAL units separated by
 * commas, normally SPS then PPS. Entries that are not base64 or decode to nothing are skipped.
 */
export function parseSpropParameterSets(value: string): Buffer[] {
  return decodeBase64List(value);
}

/** Shared with H.265's sprop-vps/sps/pps, which use the same comma-separated base64 form. */
export function decodeBase64List(value: string): Buffer[] {
  const out: Buffer[] = [];
  for (const part of value.split(',')) {
    const text = part.trim();
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) continue;
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length > 0) out.push(bytes);
  }
  return out;
}
