// The Python wheel as a user installs it: `pip install <wheel>` into a fresh
// venv in a temporary directory (no -e, no PYTHONPATH, nothing of the
// repository on its path), then a real `streamlit run` of a small app written
// there, against the real example server, in real Chromium, once per frame
// mode (the iframe needs index.html and component.js from the wheel, v2 needs
// v2.js). pip may reuse its download cache; the venv is new every run.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, checkChromium, executablePath } from '../browser/browser'
import { type Proc, startGameServer, startStreamlit } from '../streamlit/processes'
import { ROOT, checkBuilt, checkExampleServerVenv, packInto, runIn, scratchDir } from './artifacts'

const REPO_PYTHON = join(ROOT, '.venv', 'bin', 'python')
// What a user's shell would not have pointing into this repository.
const CLEAN_ENV: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: undefined, PYTHONHOME: undefined, VIRTUAL_ENV: undefined, PYTHONNOUSERSITE: '1' }

const APP = `import os

import streamlit as st
import streamlit_ws_bridge
from streamlit_ws_bridge import ws_bridge

frame = st.query_params.get("frame", "iframe")
room = "wheel-" + frame
st.write("module in " + os.path.dirname(streamlit_ws_bridge.__file__))
st.write("streamlit " + st.__version__)
seen = st.session_state.setdefault("seen", [])
server = os.environ["WS_BRIDGE_SERVER"].replace("http://", "ws://")
result = ws_bridge(server + "/ws/{room}/{player}", room, player="pia", frame=frame, key="bridge")
seen.extend(e for e in result.events if e.get("type") == "message")
for e in seen:
    st.write("got " + e["player"] + ": " + e["text"])
`

describe.skipIf(!checkChromium('wheel') || !checkBuilt('wheel') || !checkExampleServerVenv('wheel'))('the wheel, installed alone in a fresh venv', () => {
  let dir = ''
  let venv = ''
  let appDir = ''
  let server: Proc & { url: string }
  let app: Proc & { url: string }
  let browser: Browser

  beforeAll(async () => {
    dir = scratchDir('wsb-release-wheel-')
    const { wheel } = packInto(join(dir, 'out'))
    venv = join(dir, 'venv')
    appDir = join(dir, 'app')
    mkdirSync(appDir)
    const started = Date.now()
    runIn(appDir, process.env.PYTHON || 'python3', ['-m', 'venv', venv], CLEAN_ENV)
    runIn(appDir, join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', wheel], CLEAN_ENV)
    console.log('[release wheel] fresh venv + pip install ' + wheel.split('/').pop() + ': ' + ((Date.now() - started) / 1000).toFixed(1) + ' s')
    writeFileSync(join(appDir, 'app.py'), APP)
    // streamlit run from the app's directory, not the repository's (a process's cwd can shadow packages).
    const launcher = join(dir, 'streamlit.sh')
    writeFileSync(launcher, '#!/bin/sh\ncd "' + appDir + '" && exec "' + join(venv, 'bin', 'streamlit') + '" "$@"\n', { mode: 0o755 })
    server = await startGameServer(REPO_PYTHON, 0)
    ;[app, browser] = await Promise.all([
      startStreamlit(launcher, join(appDir, 'app.py'), { ...CLEAN_ENV, WS_BRIDGE_SERVER: server.url }),
      chromium.launch({ executablePath, args: CHROMIUM_ARGS }),
    ])
  }, 300000)

  afterAll(async () => {
    if (browser) await browser.close().catch(() => {})
    await Promise.all([app && app.stop(), server && server.stop()])
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60000)

  it('holds the wheel and what it pulls in (streamlit), imported from the venv, built frontend included, nothing from the repository', () => {
    const freeze = runIn(appDir, join(venv, 'bin', 'python'), ['-m', 'pip', 'freeze', '--all'], CLEAN_ENV).split('\n').filter(Boolean)
    console.log('[release wheel] ' + freeze.length + ' packages in the venv: ' + freeze.map((line) => line.split(/[=@ ]/)[0]).join(', '))
    expect(freeze.filter((line) => line.includes(ROOT) || line.startsWith('-e '))).toEqual([])
    expect(freeze.some((line) => line.startsWith('streamlit-ws-bridge @ file://' + join(dir, 'out')))).toBe(true)
    expect(freeze.some((line) => /^streamlit==/.test(line))).toBe(true)
    const where = runIn(appDir, join(venv, 'bin', 'python'), ['-c',
      'import os, streamlit_ws_bridge as m; d = os.path.join(os.path.dirname(m.__file__), "frontend", "build"); print(m.__file__); print(sorted(os.listdir(d)))'], CLEAN_ENV)
    const [file, listing] = where.trim().split('\n')
    expect(file.startsWith(join(venv, 'lib'))).toBe(true)
    for (const name of ['index.html', 'component.js', 'v2.js']) expect(listing).toContain("'" + name + "'")
  })

  for (const frame of ['iframe', 'v2'] as const) {
    it('a streamlit run app there (frame="' + frame + '") connects to the example server and shows an event posted to its room', async () => {
      const context = await browser.newContext()
      context.setDefaultTimeout(60000)
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      try {
        await page.goto(app.url + '/?frame=' + frame)
        await page.getByText('module in ' + join(venv, 'lib')).waitFor()
        // The iframe component puts _wsDebug on the app's window too: one check for both modes.
        await page.waitForFunction((room) => {
          const d = (window as unknown as { _wsDebug?: { getStatus(): { state: string; room: string } } })._wsDebug
          return !!d && d.getStatus().state === 'connected' && d.getStatus().room === room
        }, 'wheel-' + frame)
        expect(await page.locator('iframe[title="streamlit_ws_bridge.ws_bridge"]').count()).toBe(frame === 'iframe' ? 1 : 0)
        const text = 'from the wheel ' + Date.now()
        const response = await fetch(server.url + '/rooms/wheel-' + frame + '/messages', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ player: 'eli', text }),
        })
        expect(response.ok).toBe(true)
        await page.getByText('got eli: ' + text).waitFor()
        const version = ((await page.getByText(/^streamlit \d/).textContent()) || '').trim()
        console.log('[release wheel] frame=' + frame + ': the event reached the app (' + version + ')')
        expect(errors).toEqual([])
      } finally {
        await context.close()
      }
    }, 120000)
  }
})
