// The delivery contract of the anywidget hosts (test/hosts/suite.ts), held by the Streamlit
// component beside them: `streamlit run test/hosts/apps/streamlit_host_app.py` from the newest
// pinned Streamlit's matrix venv, so the same figures come out for it. Each page load is a new
// Streamlit session: once per browser tab, across reloads (the tab's sessionStorage ledger).
import { expect, it } from 'vitest'
import { hostSuite } from './suite'

hostSuite('streamlit', (shared) => {
  // The figures are those of frame="auto", which on 1.51+ is the v2 module: checked, not assumed.
  it('frame="auto" ran the bridge in the page itself (the v2 module, no iframe)', async () => {
    const { main, figure } = shared()
    const page = main.tab.page
    const seen = { iframes: await page.locator('iframe').count(), debug: await page.evaluate(() => '_wsDebug' in window) }
    figure(`frame="auto": ${seen.iframes} iframes on the page, _wsDebug on the app window ${seen.debug ? 'yes' : 'no'}`)
    expect(seen).toEqual({ iframes: 0, debug: true })
  })
})
