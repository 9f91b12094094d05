// Row 3, size: gzip (level 9) of each built bundle, beside the anchors the
// issue measured for comparable clients (quoted, not downloaded). kB = 1000 bytes,
// as size-limit counts.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import { DIST, ROOT, row } from './lib/common.mjs'
import { codeBySource, readSourceMap } from './lib/sourcemap.mjs'

// From the issue ("Gzip sizes, minified"); streamlit-component-lib's Streamlit object alone is 53 kB.
export const ANCHORS_KB = {
  'reconnecting-websocket': 3.3,
  partysocket: 2.9,
  phoenix: 7.8,
  'socket.io-client': 13.5,
  centrifuge: 23.7,
  'streamlit-component-lib (Streamlit object)': 53,
}

const gzipKb = (file) => {
  const bytes = readFileSync(file)
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
}

/** How much of the script tag is reconnecting-websocket: its minified bytes, and the gzip of everything else alone. */
function scriptTagSplit() {
  const mapFile = DIST.script + '.map'
  if (!existsSync(mapFile)) return null
  const parts = codeBySource(readSourceMap(mapFile), readFileSync(DIST.script, 'utf8'))
  let rws = 0
  let own = ''
  for (const [source, text] of parts) {
    if (source.includes('reconnecting-websocket')) rws += text.length
    else own += text
  }
  return { rwsBytes: rws, ownBytes: own.length, ownGzip: gzipSync(Buffer.from(own), { level: 9 }).length }
}

/** The v2 module (Components v2, in the page) against the iframe component's frame, both measured here. */
function v2Row() {
  const v2 = join(dirname(DIST.component), 'v2.js')
  if (!existsSync(v2)) throw new Error(relative(ROOT, v2) + ' is missing: run npm run build')
  const frame = gzipKb(DIST.component)
  const { raw, gzip } = gzipKb(v2)
  const text = readFileSync(v2, 'utf8')
  // Neither belongs in it: the frame's library and the Arrow it pulls in.
  const foreign = ['streamlit-component-lib', 'apache-arrow'].filter((name) => text.includes(name))
  return row({
    id: 'size.v2', bench: 'size', what: 'Streamlit v2 module, gzip (Components v2, no frame, no streamlit-component-lib or apache-arrow), vs the iframe component frame — ' + relative(ROOT, v2),
    baseline: { label: 'iframe frame', value: frame.gzip / 1000, unit: 'kB' }, ours: { label: 'v2', value: gzip / 1000, unit: 'kB' },
    ratio: gzip / frame.gzip, goal: '≤ 8 kB', pass: gzip / 1000 <= 8,
    note: (raw / 1000).toFixed(1) + ' kB before gzip' + (foreign.length ? '; names ' + foreign.join(', ') : ''),
    detail: { bytes: raw, gzipBytes: gzip, frameGzipBytes: frame.gzip, foreign },
  })
}

export async function run() {
  const anchors = Object.entries(ANCHORS_KB)
    .filter(([name]) => !name.startsWith('streamlit'))
    .map(([name, kb]) => name + ' ' + kb)
    .join(', ')
  const bundles = [
    {
      id: 'size.script-tag', file: DIST.script, what: 'script tag, gzip (reconnecting-websocket inside)',
      baseline: { label: 'reconnecting-websocket', value: ANCHORS_KB['reconnecting-websocket'], unit: 'kB' },
      goal: '≤ 6 kB', limit: 6,
    },
    {
      id: 'size.esm', file: DIST.esm, what: 'npm ESM entry, gzip, unminified (reconnecting-websocket external)',
      baseline: { label: 'phoenix', value: ANCHORS_KB.phoenix, unit: 'kB' },
    },
    {
      id: 'size.component', file: DIST.component, what: 'Streamlit component frame, gzip (streamlit-component-lib + apache-arrow inside)',
      baseline: { label: 'Streamlit object alone', value: ANCHORS_KB['streamlit-component-lib (Streamlit object)'], unit: 'kB' },
    },
  ]
  const rows = bundles.map((b) => {
    if (!existsSync(b.file)) throw new Error(relative(ROOT, b.file) + ' is missing: run npm run build')
    const { raw, gzip } = gzipKb(b.file)
    const kb = gzip / 1000
    const split = b.id === 'size.script-tag' ? scriptTagSplit() : null
    const splitNote = split
      ? '; reconnecting-websocket is ' + ((split.rwsBytes / raw) * 100).toFixed(0) + ' % of the minified bytes, the rest alone gzips to ' + (split.ownGzip / 1000).toFixed(2) + ' kB'
      : ''
    return row({
      id: b.id, bench: 'size', what: b.what + ' — ' + relative(ROOT, b.file),
      baseline: b.baseline, ours: { label: 'ours', value: kb, unit: 'kB' },
      ratio: kb / b.baseline.value, goal: b.goal || null, pass: b.limit ? kb <= b.limit : null,
      note: (raw / 1000).toFixed(1) + ' kB before gzip' + splitNote + (b.id === 'size.script-tag' ? '; anchors (kB gzip): ' + anchors : ''),
      detail: { bytes: raw, gzipBytes: gzip, ...(split || {}) },
    })
  })
  return [...rows, v2Row()]
}
