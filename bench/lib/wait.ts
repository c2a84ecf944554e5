/**
 * Polls `count()` until it reaches `expected`, nothing new arrived for `quietMs`, or `timeoutMs` passed: the
 * wait for deliveries the bench can count but not await.
 */
export async function waitForCount(
  count: () => Promise<number>,
  expected: number,
  timeoutMs: number,
  quietMs = 2000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = -1;
  let lastChange = Date.now();
  while (Date.now() < end) {
    const seen = await count();
    if (seen >= expected) return;
    if (seen !== last) [last, lastChange] = [seen, Date.now()];
    else if (Date.now() - lastChange > quietMs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
