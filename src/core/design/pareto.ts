/**
 * Points not dominated when both coordinates are to be maximized: no other point is at least as
 * good in both and better in one. Returned in input order.
 */
export function paretoMax<T>(points: readonly T[], x: (p: T) => number, y: (p: T) => number): T[] {
  return points.filter((p) => !points.some((q) => q !== p && x(q) >= x(p) && y(q) >= y(p) && (x(q) > x(p) || y(q) > y(p))));
}
