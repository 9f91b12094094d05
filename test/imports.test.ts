import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('../src', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  )
}

/** Each source file's relative imports (type-only ones too: a circle of types is still a circle to read). */
function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>()
  for (const file of sources(SRC)) {
    const targets = [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from\s+'(\.[^']+)'/gm)].map(
      (match) => resolve(dirname(file), match[1]) + '.ts',
    )
    edges.set(file, targets)
  }
  return edges
}

/** The first import circle found, as a list of files, or null. */
function findCircle(edges: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done') return null
    if (state.get(file) === 'open') return path.slice(path.indexOf(file)).concat(file)
    state.set(file, 'open')
    path.push(file)
    for (const next of edges.get(file) || []) {
      const circle = visit(next)
      if (circle) return circle
    }
    path.pop()
    state.set(file, 'done')
    return null
  }
  for (const file of edges.keys()) {
    const circle = visit(file)
    if (circle) return circle.map((f) => relative(SRC, f))
  }
  return null
}

describe('src imports', () => {
  it('form no circle: each module imports its concepts from their home, not through index.ts', () => {
    expect(findCircle(graph())).toBeNull()
  })

  it('would report a circle, so the check above can fail', () => {
    const a = join(SRC, 'a.ts')
    const b = join(SRC, 'b.ts')
    expect(findCircle(new Map([[a, [b]], [b, [a]]]))).toEqual(['a.ts', 'b.ts', 'a.ts'])
  })
})
