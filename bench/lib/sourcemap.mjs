// Just enough of source maps (v3) for the benchmarks: which original source
// each stretch of a bundle came from. Used to split a bundle's bytes by source
// (size) and to name minified functions in a CPU profile (bench/profile.mjs).
import { readFileSync } from 'node:fs'

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const VALUE = new Map([...B64].map((c, i) => [c, i]))

function decodeSegment(text) {
  const values = []
  let value = 0
  let shift = 0
  for (const c of text) {
    const digit = VALUE.get(c)
    value += (digit & 31) << shift
    if (digit & 32) shift += 5
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1)
      value = 0
      shift = 0
    }
  }
  return values
}

/** { sources, names, lines: [[{ column, source, line, col, name }]] } with absolute positions (0-based). */
export function readSourceMap(file) {
  const map = JSON.parse(readFileSync(file, 'utf8'))
  const lines = []
  let source = 0
  let line = 0
  let col = 0
  let name = 0
  for (const text of map.mappings.split(';')) {
    const segments = []
    let column = 0
    for (const part of text.split(',')) {
      if (!part) continue
      const v = decodeSegment(part)
      column += v[0]
      const seg = { column }
      if (v.length >= 4) {
        source += v[1]
        line += v[2]
        col += v[3]
        Object.assign(seg, { source, line, col })
        if (v.length >= 5) {
          name += v[4]
          seg.name = name
        }
      }
      segments.push(seg)
    }
    lines.push(segments)
  }
  return { sources: map.sources, names: map.names || [], lines }
}

/** The mapping at or before (line, column) of the generated file, or null. */
export function lookup(map, line, column) {
  const segments = map.lines[line] || []
  let found = null
  for (const seg of segments) {
    if (seg.column > column) break
    found = seg
  }
  return found && found.source !== undefined ? found : null
}

/** The generated code split by original source: Map source → its stretches joined (no source: '(generated)'). */
export function codeBySource(map, code) {
  const out = new Map()
  const add = (owner, text) => out.set(owner, (out.get(owner) || '') + text)
  code.split('\n').forEach((text, i) => {
    const segments = map.lines[i] || []
    let previous = 0
    let owner = '(generated)'
    for (const seg of segments) {
      add(owner, text.slice(previous, seg.column))
      previous = seg.column
      owner = seg.source !== undefined ? map.sources[seg.source] : '(generated)'
    }
    add(owner, text.slice(previous) + '\n')
  })
  return out
}
