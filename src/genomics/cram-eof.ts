// The end-of-file container each CRAM major version ends with; a slice ends with it too.
export const CRAM_EOF: Record<number, Buffer> = {
  2: Buffer.from('0b000000ffffffff0fe0454f460000000001000001000606010001000100', 'hex'),
  3: Buffer.from('0f000000ffffffff0fe0454f4600000000010005bdd94f0001000606010001000100ee63014b', 'hex'),
};
