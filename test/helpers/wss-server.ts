// A real wss:// server on 127.0.0.1, for the URL-scheme tests: https:// and wss://
// URLs must reach it over TLS. Its certificate is a test-only, self-signed one
// for 127.0.0.1 (valid until 2126); the client trusts exactly it and nothing else.
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import type { WebSocketClass } from '../../src/bridge/options'

export const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBjzCCATagAwIBAgIUJuPcD7ankaR/Y5EC2SVKgAO0KmowCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwMjE5MTYxM1oYDzIxMjYxMTA4
MTkxNjEzWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASS2ym4ZJEMwIyPm53I0BruaN32Cn2KoNH7w9A0cNKs9A4b7X8QNkAi
Kmu8yDbcB71OFqg9MenvfTsgHEnCtWjdo2QwYjAdBgNVHQ4EFgQU5jwUpW9nzs2D
DODPcNTGaEehD64wHwYDVR0jBBgwFoAU5jwUpW9nzs2DDODPcNTGaEehD64wDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQC
IBWidhPmyUrmtb2bF4hW/vmLFOLgBbASxXPAeIScQTN7AiBRXhMnZ4UbQcYt09PF
jLBSs2PSCpcPN8mPC5CcY9LXEg==
-----END CERTIFICATE-----`

// Test-only key of TEST_CERT: it protects nothing but this loopback test server.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg67f0nMQonNiKqsZF
WLmcImNFSM4NNblRfOJ7ivAqdPqhRANCAASS2ym4ZJEMwIyPm53I0BruaN32Cn2K
oNH7w9A0cNKs9A4b7X8QNkAiKmu8yDbcB71OFqg9MenvfTsgHEnCtWjd
-----END PRIVATE KEY-----`

/** The `ws` client that trusts TEST_CERT (and only it, for wss://), as the bridge's WebSocket class. */
export class TrustingWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { ca: TEST_CERT })
  }
}
export const TrustingWebSocketClass = TrustingWebSocket as unknown as WebSocketClass

export class WssServer {
  /** The request path and query of every connection, in order. */
  readonly urls: string[] = []
  private https!: Server
  private wss!: WebSocketServer
  port = 0

  async start(): Promise<this> {
    this.https = createServer({ cert: TEST_CERT, key: TEST_KEY })
    this.wss = new WebSocketServer({ server: this.https })
    this.wss.on('connection', (socket, req) => {
      this.urls.push(req.url || '')
      socket.send(JSON.stringify({ id: 'tls-' + this.urls.length, type: 'hello' }))
    })
    await new Promise<void>((resolve) => this.https.listen(0, '127.0.0.1', resolve))
    this.port = (this.https.address() as AddressInfo).port
    return this
  }

  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate()
    this.wss.close()
    this.https.closeAllConnections()
    await new Promise<void>((resolve) => this.https.close(() => resolve()))
  }
}
