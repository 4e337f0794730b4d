// Request parameters converted as Spring MVC converts them (@RequestParam long / boolean).

export class ParamError extends Error {}

/** A required `long` parameter. */
export function requiredLong(query: URLSearchParams, name: string): number {
  const raw = query.get(name);
  if (raw === null) throw new ParamError(`Required request parameter '${name}' for method parameter type long is not present`);
  const text = raw.trim();
  const value = /^[+-]?\d{1,19}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new ParamError(
      `Failed to convert value of type 'java.lang.String' to required type 'long'; nested exception is java.lang.NumberFormatException: For input string: "${raw}"`,
    );
  }
  return value;
}

/** An optional `boolean` parameter with a default. */
export function optionalBoolean(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const raw = query.get(name);
  if (raw === null || raw.trim() === '') return fallback;
  const text = raw.trim().toLowerCase();
  if (['true', 'on', 'yes', '1'].includes(text)) return true;
  if (['false', 'off', 'no', '0'].includes(text)) return false;
  throw new ParamError(
    `Failed to convert value of type 'java.lang.String' to required type 'boolean'; nested exception is java.lang.IllegalArgumentException: Invalid boolean value [${raw}]`,
  );
}

/** An optional non-negative integer parameter (Spring Data paging): unparsable values fall back. */
export function lenientInt(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = /^\s*\d{1,9}\s*$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(value) ? value : fallback;
}
