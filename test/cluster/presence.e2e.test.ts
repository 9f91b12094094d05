// Presence across replicas in a real cluster (scripts/cluster.mjs): Redis, 3 replicas of the
// example game server on the Redis store. Players connect straight to different replicas; the
// game's player list (the `player_list` event) and GET /rooms/{room}/state must name them all,
// and a SIGKILLed replica's players must leave both within the presence expiry
// (server/README.md). Prints its figure ("[cluster] …"); times are printed, never asserted.
import { afterEach, describe, expect, it } from 'vitest'
import { type Client, closeAll, connected, startClient } from './clients'
import { type Cluster, type Proc, clusterTools, figure, startTestCluster, until } from './cluster-kit'

const ROOM = 'lobby'
const TIMEOUT = 120000
const EXPIRY_S = 6 // stores/redis/presence.py: EXPIRY_S, the documented bound

/** A player on one replica, with every player list the game announced to it. */
function player(replica: Proc, name: string): { client: Client; lists: string[][] } {
  const client = startClient(replica.url, ROOM, name)
  const lists: string[][] = []
  client.bridge.on('message', (message: { [field: string]: unknown }) => {
    if (message.type === 'player_list') lists.push(message.players as string[])
  })
  return { client, lists }
}

const latest = (lists: string[][]) => JSON.stringify(lists[lists.length - 1] ?? null)

async function statePlayers(replica: Proc): Promise<string> {
  const response = await fetch(replica.url + '/rooms/' + ROOM + '/state')
  return JSON.stringify(((await response.json()) as { players: string[] }).players)
}

describe.skipIf(!clusterTools('the presence cases'))('presence across replicas on Redis', { timeout: TIMEOUT }, () => {
  let cluster: Cluster | null = null
  let clients: Client[] = []

  afterEach(async () => {
    closeAll(clients)
    clients = []
    await cluster?.stop()
    cluster = null
  })

  it('players on different replicas see each other, and a SIGKILLed replica\'s players leave the list', async () => {
    const c = (cluster = await startTestCluster())
    const [one, victim, three] = c.replicas
    const ann = player(one, 'ann')
    const bob = player(victim, 'bob')
    clients.push(ann.client, bob.client)
    await until(() => connected(ann.client) && connected(bob.client), 'ann and bob connected')
    const both = JSON.stringify(['ann', 'bob'])
    await until(() => latest(ann.lists) === both && latest(bob.lists) === both, 'both players in both pages\' player lists')
    const stateBefore = await Promise.all(c.replicas.map(statePlayers))

    const killedAt = Date.now()
    process.kill(victim.pid as number, 'SIGKILL')
    bob.client.bridge.close() // its replica is gone: nobody reconnects bob
    await until(async () => (await statePlayers(one)) === JSON.stringify(['ann']), 'bob gone from /state', 3 * EXPIRY_S * 1000)
    const goneAfter = Date.now() - killedAt
    const stateOnThree = await statePlayers(three)
    // The next announcement (a join on a third replica) no longer names bob.
    const cat = player(three, 'cat')
    clients.push(cat.client)
    const after = JSON.stringify(['ann', 'cat'])
    await until(() => latest(ann.lists) === after && latest(cat.lists) === after, 'the next player list without bob')

    expect(stateBefore).toEqual([both, both, both])
    expect(stateOnThree).toBe(JSON.stringify(['ann']))
    expect(JSON.parse(latest(ann.lists))).toEqual(['ann', 'cat'])
    figure(`presence on 3 replicas: ann and bob on different replicas both listed ${both} in their player lists and in ` +
      `/state on every replica; after SIGKILL of bob's replica, bob left /state in ${goneAfter} ms (bound: expiry ${EXPIRY_S} s), ` +
      `and the next join announced ${after}`)
  })
})
