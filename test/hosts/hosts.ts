// The hosts as child processes for the host e2e: `jupyter lab`, `voila` and `marimo run`
// from a venv of scripts/setup-hosts.mjs (and `streamlit run` from a venv of
// scripts/setup-streamlit-matrix.mjs, the Streamlit component beside them), each on a free loopback port,
// headless, without token, browser or internet, in its own process group
// (scripts/harness/servers.mjs's launch()). Kernels leave that group (jupyter_client
// starts them in a new session): every host process carries a WSB_HOST_TAG of its own,
// and stop() kills whatever still carries it once the group is down.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { launch } from '../../scripts/harness/servers.mjs'
import { freePort, Hopeless, type Proc, streamlitArgs, until } from '../streamlit/processes'

export type HostKind = 'jupyterlab' | 'voila' | 'marimo' | 'streamlit' | 'dash' | 'solara' | 'gradio'
export type Host = Proc & { url: string; kind: HostKind }

const STOP_GRACE_MS = 5000
const APPS = resolve('test/hosts/apps')

/** Live processes (not zombies) whose environment holds WSB_HOST_TAG=<tag>. */
export function tagged(tag: string): number[] {
  const marker = 'WSB_HOST_TAG=' + tag
  const found: number[] = []
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (!readFileSync('/proc/' + name + '/environ', 'utf8').split('\0').includes(marker)) continue
      if (/^\d+ \(.*\) Z /.test(readFileSync('/proc/' + name + '/stat', 'utf8'))) continue
      found.push(Number(name))
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found
}

/**
 * The environment of a host process: HOME and every Jupyter/marimo directory inside `dir` (no user
 * settings read, nothing written outside), no update checks or news, the apps' modules on PYTHONPATH,
 * and the two files wsb_host_app.py reads and writes.
 */
export function hostEnv(dir: string, files: { config: string; log: string }, tag: string): NodeJS.ProcessEnv {
  const settings = join(dir, 'lab-settings', '@jupyterlab', 'apputils-extension')
  mkdirSync(settings, { recursive: true })
  // JupyterLab 4.0-4.6: the notification plugin asks whether to fetch news and check for updates; answer no.
  writeFileSync(join(settings, 'notification.jupyterlab-settings'), JSON.stringify({ fetchNews: 'false', checkForUpdates: false }))
  return {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, '.config'),
    XDG_DATA_HOME: join(dir, '.local', 'share'),
    XDG_STATE_HOME: join(dir, '.local', 'state'),
    XDG_CACHE_HOME: join(dir, '.cache'),
    JUPYTER_CONFIG_DIR: join(dir, '.jupyter'),
    JUPYTER_DATA_DIR: join(dir, '.local', 'share', 'jupyter'),
    JUPYTER_RUNTIME_DIR: join(dir, 'runtime'),
    JUPYTERLAB_SETTINGS_DIR: join(dir, 'lab-settings'),
    JUPYTERLAB_WORKSPACES_DIR: join(dir, 'lab-workspaces'),
    IPYTHONDIR: join(dir, '.ipython'),
    JUPYTER_PLATFORM_DIRS: '1',
    MARIMO_SKIP_UPDATE_CHECK: '1',
    // Solara reports usage to Mixpanel unless told not to: no internet from a test.
    SOLARA_TELEMETRY_MIXPANEL_ENABLE: 'false',
    // Gradio reports usage and checks its version online unless told not to.
    GRADIO_ANALYTICS_ENABLED: 'False',
    PYTHONPATH: APPS,
    PYTHONUNBUFFERED: '1',
    WSB_HOST_CONFIG: files.config,
    WSB_HOST_LOG: files.log,
    WSB_HOST_TAG: tag,
  }
}

/** The command line of `kind` from the venv `bin`, serving `target` (a folder for Jupyter and Voilà, an app file for marimo and Streamlit) on `port`. */
export function hostArgs(kind: HostKind, bin: string, target: string, port: number): string[] {
  const jupyterServer = [
    '--no-browser', '--port=' + port, '--ip=127.0.0.1',
    "--ServerApp.token=", "--ServerApp.password=", '--ServerApp.disable_check_xsrf=True',
    '--ServerApp.open_browser=False', '--ServerApp.root_dir=' + target,
    // CI containers run as root; Jupyter refuses to without this.
    '--allow-root',
  ]
  if (kind === 'jupyterlab') {
    return [join(bin, 'jupyter'), 'lab', ...jupyterServer,
      '--LabApp.news_url=None', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
      // window.jupyterapp: the test runs cells and restarts the kernel through the app's commands.
      '--LabApp.expose_app_in_browser=True']
  }
  if (kind === 'voila') {
    // A folder: /voila/render/<name>.ipynb for each notebook in it; every page load starts a kernel.
    return [join(bin, 'voila'), target, '--no-browser', '--port=' + port, '--Voila.ip=127.0.0.1']
  }
  if (kind === 'streamlit') return [join(bin, 'streamlit'), ...streamlitArgs(target, port)]
  // A Dash app is a script, `python app.py`: app.run() takes its port from PORT (startHost sets it).
  if (kind === 'dash') return [join(bin, 'python'), target]
  // A Gradio app is a script that launches itself: the app takes its port as its argument.
  if (kind === 'gradio') return [join(bin, 'python'), target, String(port)]
  // --production: no file watcher or auto-restart; --no-check-version: no PyPI request at start.
  if (kind === 'solara') return [join(bin, 'solara'), 'run', target, '--host', '127.0.0.1', '--port', String(port), '--no-open', '--production', '--no-check-version']
  return [join(bin, 'marimo'), 'run', target, '--headless', '--host', '127.0.0.1', '--port', String(port), '--no-token']
}

/** Where the host answers once it serves pages. */
const readyPath: Record<HostKind, string> = { jupyterlab: '/api/status', voila: '/', marimo: '/health', streamlit: '/_stcore/health', dash: '/_dash-dependencies', solara: '/readyz', gradio: '/config' }

/**
 * Starts a host and waits until it answers; `dir` is its scratch folder (HOME, settings, runtime),
 * `target` what it serves, `files` the config and log wsb_host_app.py uses, `env` what to set or
 * unset (undefined) over hostEnv() (the release test: nothing of the repository on the path).
 */
export async function startHost(
  kind: HostKind, bin: string, target: string, dir: string, files: { config: string; log: string }, env: NodeJS.ProcessEnv = {},
): Promise<Host> {
  const port = await freePort()
  const tag = randomBytes(6).toString('hex')
  // Apps that launch themselves read their port from the environment too (the examples do).
  const portEnv = kind === 'dash' ? { PORT: String(port) } : kind === 'gradio' ? { GRADIO_SERVER_PORT: String(port) } : {}
  const launched = launch(hostArgs(kind, bin, target, port), { name: kind, env: { ...hostEnv(dir, files, tag), ...portEnv, ...env }, cwd: dir, stopGraceMs: STOP_GRACE_MS })
  const url = 'http://127.0.0.1:' + port
  const stop = async () => {
    await launched.stop()
    // Kernels run in sessions of their own: whatever of this host still lives is ended here.
    for (const pid of tagged(tag)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // exited meanwhile
      }
    }
    await until(() => tagged(tag).length === 0, kind + "'s processes to exit", 10000, 100)
  }
  try {
    await until(async () => {
      if (launched.proc.exitCode !== null) throw new Hopeless(kind + ' exited:\n' + launched.output())
      return (await fetch(url + readyPath[kind])).ok
    }, kind + ' to answer ' + readyPath[kind], 90000, 250)
  } catch (err) {
    await stop()
    throw err
  }
  return { ...launched, stop, port, url, kind }
}
