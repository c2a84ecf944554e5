/** Epoch milliseconds now. Every module that reads the time takes one, so tests can set it. */
export type Clock = () => number;

export const systemClock: Clock = Date.now;
