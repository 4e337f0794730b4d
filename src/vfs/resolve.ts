// Path → node, by lookups from the root. A missing component is NotFound; a file used as a
// directory is NotFound too (as the kernel would see a name that cannot exist).
import { NotFound } from '../errors.js';
import type { VfsNode } from './node.js';

export async function resolvePath(root: VfsNode, path: string): Promise<VfsNode> {
  let node: VfsNode = root;
  for (const name of path.split('/')) {
    if (name === '' || name === '.') continue;
    if (node.kind !== 'dir') throw new NotFound(`not a directory on the way to ${path}`);
    const child: VfsNode | undefined = await node.lookup(name);
    if (!child) throw new NotFound(`no such file: ${path}`);
    node = child;
  }
  return node;
}
