// Defensive parsing of Score and SONG JSON: a server that answers the wrong shape yields a
// ProtocolError naming what was wrong, never a TypeError deeper down.
import { ProtocolError } from '../errors.js';
import type { Analysis, AnalysisState, FileAccess, LegacyEntity, ObjectInfo, ObjectSpecification, Part, SongPage } from './types.js';

type Json = Record<string, unknown>;

export function parseJson(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new ProtocolError(`${what}: the response is not JSON`);
  }
}

function object(v: unknown, what: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError(`${what}: expected a JSON object`);
  return v as Json;
}

function array(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new ProtocolError(`${what}: expected a JSON array`);
  return v;
}

function string(o: Json, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new ProtocolError(`${what}: "${key}" is not a non-empty string`);
  return v;
}

function optionalString(o: Json, key: string, what: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new ProtocolError(`${what}: "${key}" is not a string`);
  return v;
}

/** A safe integer ≥ min (sizes, offsets, epoch millis). */
function integer(o: Json, key: string, what: string, min = 0): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new ProtocolError(`${what}: "${key}" is not an integer ≥ ${min}`);
  return v;
}

/** Score and SONG treat a missing or empty access as controlled. */
function access(o: Json): FileAccess {
  return o.access === 'open' ? 'open' : 'controlled';
}

/**
 * Score's /listing, parsed entry by entry as it is iterated (again on each iteration): a listing of 100,000
 * objects is ~10 MB of JSON, never held as one string nor as 100,000 parsed entries at once.
 */
export function* parseListing(body: Buffer): Generator<ObjectInfo> {
  let i = 0;
  for (const e of jsonArrayElements(body, 'Score /listing')) {
    const what = `Score /listing entry ${i++}`;
    const o = object(e, what);
    yield { id: string(o, 'id', what), size: integer(o, 'size', what), lastModified: integer(o, 'lastModified', what) };
  }
}

const ELEMENTS_AT_ONCE = 1000;
const [QUOTE, BACKSLASH, COMMA, OPEN_ARRAY, CLOSE_ARRAY, OPEN_OBJECT, CLOSE_OBJECT] = [...'"\\,[]{}'].map((c) => c.charCodeAt(0));

/**
 * The elements of the JSON array `body`, parsed ELEMENTS_AT_ONCE at a time: the bytes are cut at the
 * commas between top-level elements (outside strings), which no byte of a multi-byte UTF-8 character
 * can be mistaken for.
 */
function* jsonArrayElements(body: Buffer, what: string): Generator<unknown> {
  const notJson = (): ProtocolError => new ProtocolError(`${what}: the response is not JSON`);
  const text = (from: number, to: number): string => body.toString('utf8', from, to);
  const parse = (from: number, to: number): unknown[] => {
    try {
      return JSON.parse(`[${text(from, to)}]`) as unknown[];
    } catch {
      throw notJson();
    }
  };
  const start = text(0, Math.min(body.length, 64)).search(/\S/);
  if (start < 0) throw notJson();
  if (body[start] !== OPEN_ARRAY) {
    parseJson(body, what); // not JSON at all, or JSON but not an array
    throw new ProtocolError(`${what}: expected a JSON array`);
  }
  let from = start + 1;
  let depth = 0;
  let inString = false;
  let elements = 0;
  for (let i = from; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) depth++;
    else if (c === CLOSE_OBJECT) depth--;
    else if (c === CLOSE_ARRAY && depth > 0) depth--;
    else if (c === CLOSE_ARRAY) {
      if (text(i + 1, body.length).trim() !== '') throw notJson();
      if (from < i || elements > 0) yield* parse(from, i); // `[]` has none; `[1,]` fails here
      return;
    } else if (c === COMMA && depth === 0 && ++elements % ELEMENTS_AT_ONCE === 0) {
      yield* parse(from, i);
      from = i + 1;
    }
  }
  throw notJson();
}

/** Gives one copy of equal strings; the identity by default. */
export type Interner = (s: string) => string;
const asIs: Interner = (s) => s;

/** `intern` is applied to the names many entities share (analysis, study, file name). */
export function parseEntity(v: unknown, what: string, intern = asIs): LegacyEntity {
  const o = object(v, what);
  return {
    id: string(o, 'id', what),
    gnosId: intern(string(o, 'gnosId', what)),
    fileName: intern(string(o, 'fileName', what)),
    projectCode: intern(string(o, 'projectCode', what)),
    access: access(o),
  };
}

export function parseEntityPage(v: unknown, what: string, intern = asIs): SongPage<LegacyEntity> {
  const o = object(v, what);
  const content = array(o.content, `${what} content`).map((e, i) => parseEntity(e, `${what} entity ${i}`, intern));
  if (typeof o.last !== 'boolean') throw new ProtocolError(`${what}: "last" is not a boolean`);
  const num = (key: string, fallback: number): number => (typeof o[key] === 'number' ? (o[key] as number) : fallback);
  return {
    content,
    last: o.last,
    first: typeof o.first === 'boolean' ? o.first : num('number', 0) === 0,
    totalPages: num('totalPages', 0),
    totalElements: num('totalElements', 0),
    number: num('number', 0),
    size: num('size', content.length),
    numberOfElements: num('numberOfElements', content.length),
    empty: content.length === 0,
  };
}

const MD5 = /^[0-9a-f]{32}$/i;

export function parseSpec(v: unknown, what: string): ObjectSpecification {
  const o = object(v, what);
  const parts = array(o.parts, `${what} parts`).map((p, i): Part => {
    const pw = `${what} part ${i}`;
    const po = object(p, pw);
    const sourceMd5 = optionalString(po, 'sourceMd5', pw);
    return {
      partNumber: integer(po, 'partNumber', pw, 1),
      partSize: integer(po, 'partSize', pw, -1),
      offset: integer(po, 'offset', pw),
      url: optionalString(po, 'url', pw),
      md5: optionalString(po, 'md5', pw),
      ...(sourceMd5 !== null && MD5.test(sourceMd5) ? { sourceMd5: sourceMd5.toLowerCase() } : {}),
    };
  });
  const objectMd5 = optionalString(o, 'objectMd5', what);
  return {
    objectKey: optionalString(o, 'objectKey', what) ?? '',
    objectId: string(o, 'objectId', what),
    uploadId: optionalString(o, 'uploadId', what) ?? '',
    parts,
    objectSize: integer(o, 'objectSize', what, -1),
    objectMd5: normalizeMd5(objectMd5),
  };
}

/** Score's MD5s are hex, or base64 from S3 Content-MD5 (K/util/MD5s.isEqual accepts both). */
function normalizeMd5(md5: string | null): string | null {
  if (md5 === null || md5 === '') return null;
  if (MD5.test(md5)) return md5.toLowerCase();
  const raw = /^[A-Za-z0-9+/]{22}==$/.test(md5) ? Buffer.from(md5, 'base64') : null;
  return raw?.length === 16 ? raw.toString('hex') : null;
}

const STATES: readonly AnalysisState[] = ['PUBLISHED', 'UNPUBLISHED', 'SUPPRESSED'];

/** SONG's Analysis, of which the client reads the identity and the state. */
export function parseAnalysis(v: unknown, what: string): Analysis {
  const o = object(v, what);
  const state = string(o, 'analysisState', what);
  if (!STATES.includes(state as AnalysisState)) throw new ProtocolError(`${what}: unknown analysisState "${state}"`);
  return { ...(o as unknown as Analysis), analysisId: string(o, 'analysisId', what), studyId: string(o, 'studyId', what), analysisState: state as AnalysisState };
}
