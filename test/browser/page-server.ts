import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const SCRIPT_FILE = join(ROOT, 'dist', 'ws-bridge.min.js')
export const SCRIPT_PATH = '/dist/ws-bridge.min.js'

const escapeAttribute = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** `<script src=… data-…>` for the built IIFE; keys are the data-* names without the prefix (url, room, max-messages…). */
export function scriptTag(data: Record<string, string | number> = {}): string {
  const attributes = Object.entries(data)
    .map(([name, value]) => ' data-' + name + '="' + escapeAttribute(String(value)) + '"')
    .join('')
  return '<script src="' + SCRIPT_PATH + '"' + attributes + '></script>'
}

/** A plain page: the given body markup and nothing else (an empty favicon so no 404 lands in the console). */
export function html(body: string, title = 'ws-bridge script tag'): string {
  return (
    '<!doctype html>\n<html><head><meta charset="utf-8"><title>' +
    title +
    '</title><link rel="icon" href="data:,"></head>\n<body>\n' +
    body +
    '\n</body></html>\n'
  )
}

/**
 * Serves the built script and in-memory test pages on 127.0.0.1 (a free port),
 * a different origin from the EventServer so pages survive its restarts.
 * The script is read from disk on every request, so it is always the last build.
 */
export class PageServer {
  private server!: Server
  private pages = new Map<string, string>()
  private count = 0
  port = 0

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = new URL(req.url || '/', 'http://127.0.0.1').pathname
      if (path === SCRIPT_PATH) {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' })
        res.end(readFileSync(SCRIPT_FILE))
        return
      }
      const page = this.pages.get(path)
      if (page !== undefined) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        res.end(page)
        return
      }
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('not found')
    })
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  /** Registers a page and returns its URL. */
  add(markup: string): string {
    const path = '/page-' + ++this.count + '.html'
    this.pages.set(path, markup)
    return 'http://127.0.0.1:' + this.port + path
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((done) => this.server.close(() => done()))
  }
}

export const scriptBuilt = () => existsSync(SCRIPT_FILE)
