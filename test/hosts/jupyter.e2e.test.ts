// The delivery contract in JupyterLab (test/hosts/suite.ts), oldest and newest pinned sets, and
// what only a notebook server has: one kernel behind the notebook open in two tabs, and a kernel
// restart (the rule: a new kernel gets no event an earlier kernel got, only events not handed to it).
import { expect, it } from 'vitest'
import { publishTicks } from '../streamlit/processes'
import { checkAgainstServer, openSockets, publishVolleys, waitConnected, waitDelivered } from './contract'
import { writeConfig } from './hostlog'
import { labRestartKernel, labRunAll, labSave, openTab, pageUrl } from './pages'
import { hostSuite } from './suite'

hostSuite('jupyterlab', (shared) => {
  it('the notebook open in two tabs, one kernel: each event once', async () => {
    const { fx, main, figure } = shared()
    await labSave(main.tab.page)
    const alone = await openSockets(fx, main.room)
    // A second browser context (its own sessionStorage, so its own ledger and socket), in a workspace of its own.
    const mark = fx.log.mark()
    const second = await openTab(fx.browser, 'second', pageUrl(fx.host, main.label + '.ipynb', 'second'))
    fx.tabs.push(second)
    // The second tab's own indicator, not a status line in Python: the kernel's log cannot tell the
    // tabs apart, and an older ipywidgets echoes the first tab's status when a second front end joins.
    const restored = await second.page.locator('.ws-bridge-status', { hasText: '🟢 Connected' }).first()
      .waitFor({ timeout: 60000 }).then(() => true, () => false)
    const open = await openSockets(fx, main.room)
    const ids = await publishVolleys(fx, main.room, 4, 5, 50)
    await waitDelivered(fx.log, ids, '20 events with two tabs open', mark, main.label)
    // From the second tab's opening: the server restart of an earlier case emptied its log.
    const all = await checkAgainstServer(fx, main.room, mark, main.label)
    const ever = fx.log.delivered(main.from, main.label).filter((id) => id !== 'reset')
    expect(ever.length - new Set(ever).size).toBe(0)
    figure(`two tabs, one kernel: ${alone} socket(s) for the room with one tab open, ${open} with two, the second tab's view ${restored ? 'restored from the kernel' : 'not restored'}; ` +
      `${all.length} events since, ${ever.length} in all, once each in the kernel`)
    expect({ alone, open }).toEqual({ alone: 1, open: 2 })
    await second.page.context().close()
    fx.tabs.splice(fx.tabs.indexOf(second), 1)
  })

  it('a kernel restart: the new kernel gets no event the earlier one got', async () => {
    const { fx, main, figure } = shared()
    const before = new Set(fx.log.delivered(main.from, main.label))
    const oldPids = new Set(fx.log.lines(main.from).filter((l) => l.kind === 'session' && l.label === main.label).map((l) => l.pid))
    await labRestartKernel(main.tab.page)
    // Published while the new kernel has no widget yet: the page's ledger holds them.
    const meanwhile = await publishTicks(fx.game.url, main.room, 10)
    const ws = fx.game.url.replace('http://', 'ws://') + '/ws/{room}/{player}'
    writeConfig(fx.config, { widget: 'bridge', label: main.label, url: ws, room: main.room, player: main.label })
    const mark = fx.log.mark()
    await labRunAll(main.tab.page)
    await waitConnected(fx.log, main.label, mark)
    const after = await publishVolleys(fx, main.room, 2, 5, 50)
    await waitDelivered(fx.log, after, '10 events in the new kernel', mark, main.label)
    await new Promise((r) => setTimeout(r, 1000))
    const fresh = fx.log.lines(mark).filter((l) => l.label === main.label && !oldPids.has(l.pid))
    const got = fresh.filter((l) => l.kind === 'event').map((l) => String(l.id))
    expect(fresh.length).toBeGreaterThan(0)
    expect(got.filter((id) => before.has(id))).toEqual([])
    expect(new Set(got).size).toBe(got.length)
    const resets = fresh.filter((l) => l.kind === 'reset').length
    const gotMeanwhile = meanwhile.filter((id) => got.includes(id)).length
    figure(`kernel restart: the new kernel got 0 of the ${before.size} events the earlier kernel got, ${gotMeanwhile} of the ${meanwhile.length} ` +
      `published between restart and re-run, ${resets} resets, and the ${after.length} later events once each`)
  })
})

