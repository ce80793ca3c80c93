// Helpers of the generated type guards. Not part of the package's API (index.ts does not
// re-export them).

/** A JSON object: not `null`, not an array. */
export function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON array. */
export function isArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

/** A JSON number: finite (`JSON.parse` never gives `NaN` or `Infinity`). */
export function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** A JSON number without a fractional part (JSON Schema's `integer`). */
export function isInteger(value: unknown): value is number {
  return Number.isInteger(value);
}

/** Whether the object has `key` itself, not through its prototype. */
export function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** Whether every key of the object is one of `keys`. */
export function hasOnlyKeys(object: object, keys: readonly string[]): boolean {
  return Object.keys(object).every((key) => keys.includes(key));
}

/** Whether every value under a key other than `keys` passes `check`. */
export function everyOtherValue(
  object: { readonly [key: string]: unknown },
  keys: readonly string[],
  check: (value: unknown) => boolean,
): boolean {
  return Object.keys(object).every((key) => keys.includes(key) || check(object[key]));
}

/** The length in Unicode code points, as JSON Schema's `minLength` counts. */
export function codePointLength(text: string): number {
  return Array.from(text).length;
}

/** JSON Schema's `oneOf`: exactly one of the alternatives matched. */
export function exactlyOne(...matches: readonly boolean[]): boolean {
  return matches.filter(Boolean).length === 1;
}
