import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** An import between two top-level parts of src/ (a folder, or a file directly in src/ without its .ts). */
export interface Edge {
  from: string;
  to: string;
  /** Where it is: the importing file, relative to the repository. */
  file: string;
}

/** The layers, top first, from the fenced `layers` block of docs/architecture.md: one line each, its parts. */
export function readLayers(markdown: string): string[][] {
  const m = /```layers\n([\s\S]*?)```/.exec(markdown);
  if (!m) throw new Error('docs/architecture.md has no ```layers block');
  return m[1]
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => line.split(/\s+/));
}

export function topLevelParts(srcDir: string): string[] {
  return readdirSync(srcDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() || e.name.endsWith('.ts'))
    .map((e) => e.name.replace(/\.ts$/, ''));
}

/** Each file of src/ with the files it imports (relative imports: static, re-export, type-only and dynamic). */
export function fileImports(srcDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of tsFiles(srcDir)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((f) => f.startsWith('.'))
      .map((f) => resolveTs(resolve(dirname(file), f)));
    out.set(file, targets);
  }
  return out;
}

function resolveTs(path: string): string {
  if (existsSync(`${path}.ts`)) return `${path}.ts`;
  if (existsSync(join(path, 'index.ts'))) return join(path, 'index.ts');
  return path;
}

/** Every import between two top-level parts. */
export function importEdges(repo: string, srcDir = join(repo, 'src')): Edge[] {
  const edges: Edge[] = [];
  for (const [file, targets] of fileImports(srcDir)) {
    const from = partOf(srcDir, file);
    for (const target of targets) {
      const to = partOf(srcDir, target);
      if (to !== from) edges.push({ from, to, file: relative(repo, file) });
    }
  }
  return edges;
}

/** The files `start` (a file or folder of src/) loads, directly or through others. */
export function reachableFrom(srcDir: string, start: string): Set<string> {
  const graph = fileImports(srcDir);
  const seen = new Set<string>();
  const todo = [...graph.keys()].filter((f) => f === start || f.startsWith(`${start}/`));
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...(graph.get(f) ?? []));
  }
  return seen;
}

function partOf(srcDir: string, path: string): string {
  return relative(srcDir, path).split('/')[0].replace(/\.ts$/, '');
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Each edge that does not point to a lower layer (up, or sideways within one), or leaves the map. */
export function layerViolations(edges: Edge[], layers: string[][]): string[] {
  const level = new Map(layers.flatMap((parts, i) => parts.map((p) => [p, i] as const)));
  const out: string[] = [];
  for (const e of edges) {
    const [a, b] = [level.get(e.from), level.get(e.to)];
    if (a === undefined || b === undefined)
      out.push(`${e.file}: ${e.from} -> ${e.to}: ${a === undefined ? e.from : e.to} is in no layer`);
    else if (b <= a) out.push(`${e.file}: ${e.from} -> ${e.to} points ${b === a ? 'sideways' : 'up'}`);
  }
  return out;
}

/** The cycles between parts (each strongly connected component of more than one part), found by Tarjan's algorithm. */
export function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do scc.push((w = stack.pop()!));
    while (w !== v);
    if (scc.length > 1) out.push(scc.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return out;
}
