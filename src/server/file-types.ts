// SONG fileType and dataType of a file, guessed from its name as a submitter would have declared them.

const TYPES: ReadonlyArray<readonly [suffix: string, fileType: string, dataType: string]> = [
  ['.bam', 'BAM', 'Aligned Reads'],
  ['.bai', 'BAI', 'Aligned Reads Index'],
  ['.cram', 'CRAM', 'Aligned Reads'],
  ['.crai', 'CRAI', 'Aligned Reads Index'],
  ['.csi', 'CSI', 'Aligned Reads Index'],
  ['.sam', 'SAM', 'Aligned Reads'],
  ['.vcf.gz', 'VCF', 'Variant Calls'],
  ['.vcf', 'VCF', 'Variant Calls'],
  ['.bcf', 'BCF', 'Variant Calls'],
  ['.tbi', 'TBI', 'Variant Calls Index'],
  ['.idx', 'IDX', 'Variant Calls Index'],
  ['.fa', 'FASTA', 'Reference'],
  ['.fasta', 'FASTA', 'Reference'],
  ['.fa.gz', 'FASTA', 'Reference'],
  ['.fai', 'FAI', 'Reference Index'],
  ['.gzi', 'GZI', 'Reference Index'],
  ['.fastq.gz', 'FASTQ', 'Submitted Reads'],
  ['.fq.gz', 'FASTQ', 'Submitted Reads'],
  ['.fastq', 'FASTQ', 'Submitted Reads'],
  ['.bed', 'BED', 'Annotation'],
  ['.txt', 'TXT', 'Other'],
  ['.tsv', 'TSV', 'Other'],
  ['.json', 'JSON', 'Other'],
];

export interface FileKind {
  fileType: string;
  dataType: string;
}

export function fileKindOf(fileName: string): FileKind {
  const lower = fileName.toLowerCase();
  for (const [suffix, fileType, dataType] of TYPES) {
    if (lower.endsWith(suffix)) return { fileType, dataType };
  }
  const dot = lower.lastIndexOf('.');
  return { fileType: dot > 0 ? lower.slice(dot + 1).toUpperCase() : 'OTHER', dataType: 'Other' };
}
