// The three sessionStorage keys, one per room: the names are a contract with
// every page that already holds them (and with users reading them in DevTools).

/** The room's kept messages, oldest first (storage/message-log.ts). */
export const messagesKey = (room: string) => 'ws_messages_' + room
/** The bridge's status object (bridge/status.ts). */
export const statusKey = (room: string) => 'ws_status_' + room
/** The tab's numbering of the room's events for Python, until acknowledged (delivery/ledger.ts). */
export const ledgerKey = (room: string) => 'ws_component_' + room
