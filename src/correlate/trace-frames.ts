/** Frame numbers of one capture that matched `--trace` (bounded; `count` is all of them). */
export interface TracedFrames {
  packets: number[];
  count: number;
}

/** Frames remembered per capture for --trace: journeys beyond these are counted, not listed. */
export const TRACE_FRAMES = 1000;
