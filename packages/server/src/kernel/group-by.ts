/**
 * `items` grouped by `keyOf`, groups and their members in first-seen order: what Map.groupBy does, kept
 * because the development machine's Node 20 lacks it (CI and users run 22 and later).
 */
export function groupBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
