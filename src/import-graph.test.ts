import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { packageRoot } from './util/paths.js'

// The layering rule of src/ as a test: no file imports itself back through others, and no folder does either
// (commands -> servers/engine -> ports -> adapters, never back). Type-only imports count too: they couple the
// folders just the same for a reader.

const SRC = join(packageRoot(), 'src')
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)|new URL\(\s*['"](\.[^'"]+)['"]/g

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(path)
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : []
  })
}

/** Relative imports of each file under src/, as paths relative to src/ (`.js` specifiers name `.ts` files). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8')
    const deps = new Set<string>()
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3]
      if (spec === undefined) continue
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts')
      if (target.startsWith(SRC + '/')) deps.add(relative(SRC, target))
    }
    graph.set(relative(SRC, file), [...deps])
  }
  return graph
}

/** The folder graph: an edge a -> b when a file in a imports one in b (files at src/ itself are their own node). */
function folderGraph(files: Map<string, string[]>): Map<string, string[]> {
  const folderOf = (f: string): string => (f.includes('/') ? f.slice(0, f.indexOf('/')) : f)
  const out = new Map<string, Set<string>>()
  for (const [from, deps] of files) {
    const a = folderOf(from)
    const set = out.get(a) ?? new Set<string>()
    for (const d of deps) if (folderOf(d) !== a) set.add(folderOf(d))
    out.set(a, set)
  }
  return new Map([...out].map(([k, v]) => [k, [...v]]))
}

/** Every cycle's members (strongly connected components of more than one node, or a node importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string): void => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0))
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = []
      for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
        onStack.delete(w)
        scc.push(w)
        if (w === v) break
      }
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort())
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) visit(v)
  return found
}

t.test('cycle finder', async (t) => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']], ['e', ['e']]])
  t.same(cycles(g).sort(), [['a', 'b', 'c'], ['e']])
  t.same(cycles(new Map([['a', ['b']], ['b', []]])), [])
})

t.test('the import graph sees the files and their imports', async (t) => {
  const g = importGraph()
  t.ok(g.size > 100, `${g.size} files`)
  t.ok((g.get('util/paths.ts') ?? ['x']).length === 0, 'a leaf has no imports')
  t.ok([...g.values()].some((deps) => deps.includes('util/paths.ts')), 'util/paths.ts is imported')
})

t.test('no file imports itself back', async (t) => {
  t.same(cycles(importGraph()), [])
})

t.test('no folder of src/ imports itself back', async (t) => {
  t.same(cycles(folderGraph(importGraph())), [])
})
