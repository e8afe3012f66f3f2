import { readdir, readlink, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Symlink } from '../../protocol/pa-tnc/ita/lists';

/**
 * ITA-HSR Symlinks (strongSwan's ita_attr_symlinks.c): the entries of `dir` that are symlinks to directories,
 * e.g. /bin -> /usr/bin on a UsrMerge system. `dir` is the path the IMV asked for; `root` is
 * where that path lives on this host ("/" normally, a fixture tree in tests).
 */
export async function directorySymlinks(root: string, dir: string): Promise<Symlink[]> {
  const asked = posix.resolve('/', dir);
  const local = join(root, asked);
  const out: Symlink[] = [];
  for (const entry of await readdir(local, { withFileTypes: true })) {
    if (!entry.isSymbolicLink()) continue;
    const path = join(local, entry.name);
    const isDir = await stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) continue;
    // a relative link is relative to the directory holding it; absolute links stay as they are
    out.push({ symlink: posix.join(asked, entry.name), target: posix.resolve(asked, await readlink(path)) });
  }
  // byte order, the same in every locale (localeCompare would load ICU's collation data)
  return out.sort((a, b) => (a.symlink < b.symlink ? -1 : a.symlink > b.symlink ? 1 : 0));
}
