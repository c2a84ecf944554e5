/**
 * How much the fuzz and kill suites do. CI runs the fixed seed and the short counts; `CALLPUSH_FUZZ_LONG=1`
 * multiplies them (docs/reliability.md), and `CALLPUSH_FUZZ_SEED` replays another seed.
 */
export const LONG = process.env.CALLPUSH_FUZZ_LONG === '1';

export const SEED = Number.parseInt(process.env.CALLPUSH_FUZZ_SEED ?? '20260513', 10);

/** `short` in CI, `long` with CALLPUSH_FUZZ_LONG=1. */
export const budget = (short: number, long: number): number => (LONG ? long : short);
