// Builds the tree a Catalog shows, in one of three layouts (--layout):
//   bundle    /<analysisId>/<fileName>
//   study     /<studyId>/<analysisId>/<fileName>
//   object-id /<objectId>, plus hidden /<objectId>.bai|.crai|.csi|.tbi|.fai|.gzi aliases of the files
//             tools look for beside it (its index; a FASTA's .fai for samtools -T)
// and /.scorefs/stats.json in all of them. Every BAM/CRAM with a .bai/.csi/.crai gets a
// `<fileName>.slices/` directory beside it (`/<objectId>.slices/` in the object-id layout).
import type { ByteReader, Catalog, CatalogFile } from '../model.js';
import { logger } from '../util/log.js';
import { Dir } from './dir.js';
import { companions, COMPANION_EXTENSIONS, isAlignmentFile, pairIndexes } from '../catalog-rules.js';
import { CohortAhead, type CohortPlaces } from './cohort-ahead.js';
import { ObjectFile } from './object-file.js';
import { SliceDir } from './slice-dir.js';
import type { SliceIndexKind } from '../genomics/slice-plan.js';
import { StatsFile, type StatsProvider } from './stats-file.js';

const log = logger('vfs');

export const LAYOUTS = ['bundle', 'study', 'object-id'] as const;
export type Layout = (typeof LAYOUTS)[number];

export interface TreeOptions {
  layout: Layout;
  reader: ByteReader;
  stats: StatsProvider;
}

export function buildTree(catalog: Catalog, opts: TreeOptions): Dir {
  const root = new Dir(catalog.fetchedAt);
  const control = root.subdir('.scorefs', catalog.fetchedAt);
  control.add('stats.json', new StatsFile(opts.stats));

  const pairs = pairIndexes(catalog.files);
  // The object-id layout also shows each file's companions by the object id of what they accompany.
  const aliases = opts.layout === 'object-id' ? companions(catalog.files) : [];
  const aliased = new Map<CatalogFile, ObjectFile | undefined>(aliases.map((c) => [c.file, undefined]));
  // Indexes and other companions are described with the file they accompany, not as a cohort of their own.
  const members: ObjectFile[] = [];
  const cohort = new CohortAhead(members, cohortPlaces(opts.layout));

  for (const f of catalog.files) {
    const companion = (COMPANION_EXTENSIONS as readonly string[]).includes(kindOf(f.fileName));
    const node = new ObjectFile(f, opts.reader, isAlignmentFile(f.fileName) ? pairs.get(f) : undefined, companion ? undefined : cohort);
    if (aliased.has(f)) aliased.set(f, node);
    if (!safeName(f.fileName) || !safeName(f.analysisId) || !safeName(f.studyId) || !safeName(f.id)) {
      log.warn({ object: f.id }, 'skipping a catalog entry whose name cannot be a path component');
      continue;
    }
    const [parent, name] =
      opts.layout === 'bundle'
        ? [root.subdir(f.analysisId, f.lastModified), f.fileName]
        : opts.layout === 'study'
          ? [root.subdir(f.studyId, f.lastModified).subdir(f.analysisId, f.lastModified), f.fileName]
          : [root, f.id];
    const added = parent.add(name, node);
    if (added && !companion) members.push(node);
    const slices = added ? sliceDirFor(f, pairs.get(f), opts.reader, () => cohort.opened(node)) : undefined;
    if (slices) parent.add(`${name}.slices`, slices);
    if (!added) log.warn({ object: f.id, fileName: f.fileName }, 'duplicate path in the catalog; keeping the first');
    root.touch(f.lastModified);
  }

  for (const { of, file, ext } of aliases) {
    const target = aliased.get(file);
    if (target && safeName(of.id)) root.add(`${of.id}.${ext}`, target, { hidden: true });
  }
  return root;
}

/** A file's kind is its extension (two for a compressed one: vcf.gz); its place, its path in the layout. */
function cohortPlaces(layout: Layout): CohortPlaces<ObjectFile> {
  // NUL between path components sorts a directory before its longer-named siblings, as a listing does.
  const orderKeyOf =
    layout === 'bundle'
      ? ({ file: f }: ObjectFile) => `${f.analysisId}\0${f.fileName}`
      : layout === 'study'
        ? ({ file: f }: ObjectFile) => `${f.studyId}\0${f.analysisId}\0${f.fileName}`
        : ({ file: f }: ObjectFile) => f.id;
  return { kindOf: ({ file }) => kindOf(file.fileName), orderKeyOf };
}

function kindOf(fileName: string): string {
  const ext = extension(fileName);
  if (ext !== 'gz' && ext !== 'bgz') return ext;
  const stem = fileName.slice(0, fileName.lastIndexOf('.'));
  return stem.includes('.') ? `${extension(stem)}.${ext}` : ext;
}

/** The slice directory of an indexed BAM or CRAM, or undefined for any other file. */
function sliceDirFor(data: CatalogFile, index: CatalogFile | undefined, reader: ByteReader, onUse: () => void): SliceDir | undefined {
  if (!index) return undefined;
  const dataExt = extension(data.fileName);
  const kind = extension(index.fileName) as SliceIndexKind;
  const fits = (dataExt === 'bam' && (kind === 'bai' || kind === 'csi')) || (dataExt === 'cram' && kind === 'crai');
  return fits ? new SliceDir(data, index, kind, reader, { onUse }) : undefined;
}

function extension(fileName: string): string {
  return fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase();
}

function safeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\u0000');
}
