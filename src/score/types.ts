// Score + SONG wire types, as Score's and SONG's own servers send them. Shared by the client (src/score/) and the
// local server (src/server/); nothing else is shared between them.

/** One part of an ObjectSpecification (K/model/Part.java). */
export interface Part {
  partNumber: number; // 1-based
  partSize: number; // -1 for the single external part
  offset: number; // absolute byte offset in the object
  url: string | null;
  md5: string | null; // always emitted, null from the server
  sourceMd5?: string; // hex md5 recorded at upload; only emitted when known
}

/** GET /download/{id} response (K/model/ObjectSpecification.java). */
export interface ObjectSpecification {
  objectKey: string; // "data/<objectId>"
  objectId: string;
  uploadId: string;
  parts: Part[];
  objectSize: number; // = length for ranged requests, -1 for external with length=-1
  objectMd5: string | null;
}

/** GET /listing element (K/model/ObjectInfo). */
export interface ObjectInfo {
  id: string;
  lastModified: number; // epoch millis
  size: number;
}

export type FileAccess = 'open' | 'controlled';
export type AnalysisState = 'PUBLISHED' | 'UNPUBLISHED' | 'SUPPRESSED';

/** SONG GET /entities/{id} (LegacyEntity). */
export interface LegacyEntity {
  id: string; // objectId
  gnosId: string; // analysisId
  fileName: string;
  projectCode: string; // studyId
  access: FileAccess;
}

/** A Spring Data Page, as SONG returns from GET /entities. */
export interface SongPage<T> {
  content: T[];
  last: boolean;
  first: boolean;
  totalPages: number;
  totalElements: number;
  number: number;
  size: number;
  numberOfElements: number;
  empty: boolean;
}

/** SONG file JSON (FileEntity). */
export interface SongFile {
  objectId: string;
  studyId: string;
  analysisId: string;
  fileName: string;
  fileSize: number;
  fileType: string;
  fileMd5sum: string;
  fileAccess: FileAccess;
  dataType: string;
  info?: Record<string, unknown>;
}

/** SONG GET /studies/{studyId}/analysis/{analysisId} (subset that we produce and read). */
export interface Analysis {
  analysisId: string;
  studyId: string;
  analysisState: AnalysisState;
  analysisType: { name: string; version: number };
  createdAt: string;
  updatedAt: string;
  firstPublishedAt: string | null;
  publishedAt: string | null;
  analysisStateHistory: unknown[];
  samples: unknown[];
  files: SongFile[];
}

/** The name-based UUID namespace SONG uses for object ids (IdConfig). */
export const SONG_OBJECT_ID_NAMESPACE = '6ba7b812-9dad-11d1-80b4-00c04fd430c8';
