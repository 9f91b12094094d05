// The delivery contract in a Gradio app (test/hosts/suite.ts), oldest and newest pinned sets:
// `python test/hosts/apps/gradio_app.py`, WsBridge (a gr.HTML whose server function carries the
// batches) made per session by gr.render. Each page load is a new session: once per browser tab.
import { expect, it } from 'vitest'
import { hostSuite } from './suite'

hostSuite('gradio', (shared) => {
  // Offline is the claim: the page asked for nothing beyond loopback, counted over every case above.
  it('the page loaded nothing from the internet', async () => {
    const { main, figure } = shared()
    const outside = await main.tab.page.evaluate(() =>
      performance.getEntriesByType('resource').map((entry) => entry.name).filter((url) => !/^(https?|wss?):\/\/127\.0\.0\.1[:/]/.test(url) && !url.startsWith('data:')))
    figure(`offline: ${outside.length} requests beyond loopback ${JSON.stringify(outside.slice(0, 5))}`)
    expect(outside).toEqual([])
  })
})
