// Driving the hosts' pages in headless Chromium: where each host shows a notebook or app,
// JupyterLab's "run all cells" and kernel restart (through window.jupyterapp, which
// --LabApp.expose_app_in_browser exposes), and what a failed test prints of each tab.
import { mkdirSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import type { Host } from './hosts'

export interface Tab {
  label: string
  page: Page
  errors: string[]
}

/**
 * The page of `notebook` (a file in the served folder) on `host`; marimo and Streamlit serve their one app at /.
 * JupyterLab: in a workspace of its own (default: named after the notebook), or a page would also
 * restore every notebook the other pages opened in the shared default workspace, with their widgets.
 */
export function pageUrl(host: Host, notebook = 'nb.ipynb', workspace = notebook.replace(/\.ipynb$/, '')): string {
  if (host.kind === 'jupyterlab') return host.url + '/lab/workspaces/' + encodeURIComponent(workspace) + '/tree/' + notebook
  if (host.kind === 'voila') return host.url + '/voila/render/' + notebook
  return host.url + '/'
}

/** A new browser context (its own sessionStorage) with one page at `url`. */
export async function openTab(browser: Browser, label: string, url: string): Promise<Tab> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } })
  context.setDefaultTimeout(90000)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await page.goto(url)
  return { label, page, errors }
}

/** A second tab in the same context as `tab` (same origin: its own sessionStorage, shared localStorage). */
export async function openSibling(tab: Tab, label: string, url: string): Promise<Tab> {
  const page = await tab.page.context().newPage()
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await page.goto(url)
  return { label, page, errors }
}

type LabWindow = {
  jupyterapp?: {
    commands: { execute(id: string, args?: unknown): Promise<unknown> }
    shell: { currentWidget: { sessionContext?: { session?: { kernel?: { status: string; restart(): Promise<void> } | null } | null } } | null }
  }
}

/** Waits until JupyterLab shows the notebook with an idle kernel. */
export async function labKernelIdle(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const app = (window as unknown as LabWindow).jupyterapp
    return app?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'
  }, null, { timeout: 90000, polling: 200 })
}

/** Run > Run All Cells, once the kernel is idle. */
export async function labRunAll(page: Page): Promise<void> {
  await labKernelIdle(page)
  await page.evaluate(() => (window as unknown as LabWindow).jupyterapp?.commands.execute('notebook:run-all-cells'))
}

/** File > Save (outputs with them: a reloaded page restores the widget views from the live kernel). */
export async function labSave(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as LabWindow).jupyterapp?.commands.execute('docmanager:save'))
}

/** Restarts the notebook's kernel without the confirmation dialog. */
export async function labRestartKernel(page: Page): Promise<void> {
  await labKernelIdle(page)
  await page.evaluate(() => (window as unknown as LabWindow).jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.restart())
}

/** On a failure: each tab's text, errors and a screenshot under test-results/, and what each host printed. */
export async function printTabs(tag: string, tabs: Tab[], procs: Array<{ name: string; output(): string } | undefined>): Promise<void> {
  mkdirSync('test-results', { recursive: true })
  for (const tab of tabs) {
    const shown = await tab.page.evaluate(() => document.body.innerText).catch((err: unknown) => 'unreadable: ' + String(err))
    await tab.page.screenshot({ path: 'test-results/failed-hosts-' + tag + '-' + tab.label + '.png', timeout: 5000 }).catch(() => {})
    console.log('[hosts ' + tag + '] tab ' + tab.label + ' at ' + tab.page.url() + ', page errors ' + JSON.stringify(tab.errors) +
      ', page text:\n' + shown.slice(-2000))
  }
  for (const proc of procs) if (proc) console.log('[hosts ' + tag + '] ' + proc.name + ' printed (last 3000 chars):\n' + proc.output().slice(-3000))
}
