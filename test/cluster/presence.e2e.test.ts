// Presence across replicas in a real cluster (scripts/cluster.mjs): Redis, 3 replicas of the
// example game server on the Redis store, on one Redis and on a Redis Cluster of 3 masters
// (STORES; the rooms' presence keys then sit on all 3). Players connect straight to different
// replicas; in every room, the game's player list (the `player_list` event) and
// GET /rooms/{room}/state must name them all, and a SIGKILLed replica's players must leave both
// within the presence expiry (server/README.md). Prints its figure ("[cluster] (<store>) …");
// times are printed, never asserted.
import { afterEach, describe, expect, it } from 'vitest'
import { type Client, closeAll, connected, startClient } from './clients'
import { type Cluster, type Proc, STORES, clusterTools, lastIds, storeKit, untilCaughtUp, until } from './cluster-kit'
import { streams, tallyAll } from './ledger'

// Their slots fall on the 3 masters of a Redis Cluster (checked by the case).
const ROOMS = ['hall0', 'hall1', 'hall2']
const TIMEOUT = 120000
const EXPIRY_S = 6 // stores/redis/presence.py: EXPIRY_S, the documented bound

interface Player {
  client: Client
  /** Every player list the game announced to it. */
  lists: string[][]
}

function player(replica: Proc, room: string, name: string): Player {
  const client = startClient(replica.url, room, name)
  const lists: string[][] = []
  client.bridge.on('message', (message: { [field: string]: unknown }) => {
    if (message.type === 'player_list') lists.push(message.players as string[])
  })
  return { client, lists }
}

/** One player called `name` in every room, on `replica`. */
const everyRoom = (replica: Proc, name: string) => ROOMS.map((room) => player(replica, room, name))

const latest = (lists: string[][]) => JSON.stringify(lists[lists.length - 1] ?? null)

/** True when every room's two players were last announced `players`. */
const announced = (a: Player[], b: Player[], players: string[]) =>
  ROOMS.every((_, i) => latest(a[i].lists) === JSON.stringify(players) && latest(b[i].lists) === JSON.stringify(players))

/** Every room's players in `replica`'s GET /rooms/{room}/state. */
async function statePlayers(replica: Proc): Promise<string[]> {
  const states = ROOMS.map(async (room) => (await (await fetch(replica.url + '/rooms/' + room + '/state')).json()) as { players: string[] })
  return (await Promise.all(states)).map((state) => JSON.stringify(state.players))
}

const enabled = clusterTools('the presence cases')

for (const store of STORES) describe.skipIf(!enabled)('presence across replicas on ' + store.name, { timeout: TIMEOUT }, () => {
  const kit = storeKit(store)
  let cluster: Cluster | null = null
  let clients: Client[] = []

  afterEach(async () => {
    closeAll(clients)
    clients = []
    await cluster?.stop()
    cluster = null
  })

  it('players on different replicas see each other, and a SIGKILLed replica\'s players leave the list', async () => {
    const c = (cluster = await kit.start())
    expect(await kit.masters(c, ROOMS)).toBe(store.masters)
    const [one, victim, three] = c.replicas
    const anns = everyRoom(one, 'ann')
    clients.push(...anns.map((p) => p.client))
    // bob joins once ann's own join was announced: the game reads presence, then publishes, so two
    // joins at once on two replicas may publish their lists in the other order (the last one stale).
    await until(() => anns.every((ann) => latest(ann.lists) === JSON.stringify(['ann'])), 'ann announced in every room')
    const bobs = everyRoom(victim, 'bob')
    clients.push(...bobs.map((p) => p.client))
    await until(() => clients.every(connected), 'ann and bob connected in every room')
    const both = JSON.stringify(['ann', 'bob'])
    await until(() => announced(anns, bobs, ['ann', 'bob']), 'both players in both pages\' player lists, in every room')
    const stateBefore = (await Promise.all(c.replicas.map(statePlayers))).flat()

    const killedAt = Date.now()
    process.kill(victim.pid as number, 'SIGKILL')
    for (const bob of bobs) bob.client.bridge.close() // its replica is gone: nobody reconnects bob
    const annAlone = ROOMS.map(() => JSON.stringify(['ann']))
    await until(async () => JSON.stringify(await statePlayers(one)) === JSON.stringify(annAlone), 'bob gone from /state in every room', 3 * EXPIRY_S * 1000)
    const goneAfter = Date.now() - killedAt
    const stateOnThree = await statePlayers(three)
    // The next announcement (a join on a third replica) no longer names bob.
    const cats = everyRoom(three, 'cat')
    clients.push(...cats.map((p) => p.client))
    await until(() => announced(anns, cats, ['ann', 'cat']), 'the next player list without bob, in every room')
    // The players still on live replicas got each room's events as its stream holds them.
    const stayed = [...anns, ...cats].map((p) => p.client)
    const logs = await streams(c.redis.port, ROOMS)
    await untilCaughtUp(stayed, lastIds(logs))
    const total = tallyAll(stayed, logs)

    expect(stateBefore).toEqual(stateBefore.map(() => both))
    expect(stateOnThree).toEqual(annAlone)
    expect(anns.map((ann) => JSON.parse(latest(ann.lists)))).toEqual(ROOMS.map(() => ['ann', 'cat']))
    expect(total).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: 0 })
    kit.figure(`presence on 3 replicas, ${ROOMS.length} rooms on ${store.masters} master(s): in each room ann and bob on different replicas both listed ` +
      `${both} in their player lists and in /state on every replica; after SIGKILL of bob's replica, bob left /state in every room ` +
      `in ${goneAfter} ms (bound: expiry ${EXPIRY_S} s), and the next join announced ["ann","cat"]; ann's and cat's ${total.expected} deliveries checked against XRANGE: lost 0, duplicated 0, in order, resets 0`)
  })
})
