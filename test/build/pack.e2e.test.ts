// `npm pack` on a clone that was never built ships the built package: the
// prepack script builds dist/ first. Packs for real, into a temporary
// directory, from a copy of the working tree as a fresh clone has it (tracked
// and not-ignored files only, so no dist/; node_modules linked, as after
// npm ci), and lists the tarball. Heavy (a full build): named e2e so it runs
// alone.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const scratch = mkdtempSync(join(tmpdir(), 'wsb-pack-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** The files a fresh clone of this working tree would hold, copied to `to`. */
function cloneLike(to: string) {
  const files = execFileSync('git', ['-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && existsSync(join(ROOT, file)))
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true })
    copyFileSync(join(ROOT, file), join(to, file))
  }
  symlinkSync(join(ROOT, 'node_modules'), join(to, 'node_modules'), 'dir')
}

describe('npm pack', () => {
  it('on a clone that was never built, builds first and ships every dist/ entry', () => {
    const clone = join(scratch, 'clone')
    const out = join(scratch, 'out')
    mkdirSync(out, { recursive: true })
    cloneLike(clone)
    expect(existsSync(join(clone, 'dist')), 'the copy must start without dist/').toBe(false)

    execFileSync('npm', ['pack', '--pack-destination', out], { cwd: clone, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'warn' } })
    const tarballs = readdirSync(out).filter((name) => name.endsWith('.tgz'))
    expect(tarballs).toHaveLength(1)
    const listed = execFileSync('tar', ['-tzf', join(out, tarballs[0])], { encoding: 'utf8' }).split('\n').filter(Boolean)
    console.log('[pack] ' + tarballs[0] + ': ' + listed.length + ' files: ' + listed.join(', '))
    for (const file of ['dist/index.mjs', 'dist/index.cjs', 'dist/index.d.ts', 'dist/ws-bridge.min.js']) expect(listed).toContain('package/' + file)
    expect(listed).toContain('package/LICENSE')
  }, 240000)
})
