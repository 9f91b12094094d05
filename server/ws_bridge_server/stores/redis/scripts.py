"""The Redis store's Lua: each room's counter, epoch and stream change in one atomic step.

Keys of a room (all under the `{room}` hash tag, so a Redis Cluster keeps a room on one node):

* `wsb:{room}:meta`: a hash `epoch`, `seq` (the last seq handed out), `run` (the run_id of the
  Redis process that last wrote it), `dur` ("1" if that process persisted every write before
  answering: AOF with `appendfsync always`), `v` (the layout version, FORMAT), `b` (the bytes
  of the bodies kept) and `tok` (the last publish's token);
* `wsb:{room}:stream`: the retained events, stream id `<seq>-0`, fields `ep` = the epoch and
  `e` = the event's body exactly as Python built it (events.py): the Lua never touches JSON;
* `wsb:{room}:presence`: who is in the room on which replica (presence.py), every member with
  its own expiry. Only sockets write it, never a read, and it expires by itself;
* `wsb:{room}:live`: not a key but the room's sharded pub/sub channel (SPUBLISH), under the same
  tag, so on a cluster the publish script may send to it and its traffic stays on the room's shard.
  Only the replicas holding sockets in the room subscribe to it (follower.py).

The epoch check (`look`): a room whose meta was written by another Redis process (Redis
restarted since) that did not persist every write may have come back from an older snapshot,
behind what clients already saw. Its counter would hand out ids again that clients hold for
other events, so the room starts a new epoch (its stream is dropped): every client resuming in
it gets one reset instead of a silent, wrong replay. A room that is missing (Redis lost
everything, or its keys expired) starts a new epoch the same way, at its next publish; until
then it reads as a room that does not exist. Only a room last written by a Redis that fsyncs
every write keeps its epoch across a restart.

A room written in another layout (an older version of this store) starts a new epoch the same
way, so its clients get one reset instead of entries this version cannot read.
"""

from __future__ import annotations

FORMAT = "2"
NO_ROOM = "0"  # protocol.NO_ROOM: the epoch of a room that does not exist

# look(): the room's epoch and last seq, or nil for a room that does not exist, or that this
# Redis may have brought back behind what clients saw (it is deleted then). Creates nothing.
LOOK = """
local function look(meta, stream, durable_run)
  local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
  local m = redis.call('HMGET', meta, 'epoch', 'seq', 'run', 'dur', 'v')
  if not m[1] then
    return nil, 0, run
  end
  if m[5] ~= '""" + FORMAT + """' or (m[3] ~= run and m[4] ~= '1') then
    redis.call('DEL', stream, meta)
    return nil, 0, run
  end
  local dur = (run == durable_run) and '1' or '0'
  if m[3] ~= run or m[4] ~= dur then
    redis.call('HSET', meta, 'run', run, 'dur', dur)
  end
  return m[1], tonumber(m[2]), run
end
"""

# KEYS: meta, stream. ARGV: candidate epoch, durable run id, retention (events), the event's body,
# the room's channel (the replicas with sockets in it subscribe), a token naming this publish, retention (bytes of bodies),
# the rooms' time to live (ms).
# Returns {epoch, seq, run_id}. A retry with the same token (the reply was lost with the
# connection) answers the event already published instead of publishing it twice.
# The oldest entries go while the room keeps more events or bytes than its retention (never the
# newest). Every write renews both keys' expiry: a room nobody writes to expires.
# The channel's message is "<epoch>-<seq> <body>": the id, a space, the body as stored.
PUBLISH = LOOK + """
local epoch, seq, run = look(KEYS[1], KEYS[2], ARGV[2])
if not epoch then
  epoch, seq = ARGV[1], 0
  local dur = (run == ARGV[2]) and '1' or '0'
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0, 'run', run, 'dur', dur, 'v', '""" + FORMAT + """', 'b', 0)
elseif redis.call('HGET', KEYS[1], 'tok') == ARGV[6] then
  return {epoch, seq, run}
end
seq = seq + 1
redis.call('XADD', KEYS[2], seq .. '-0', 'ep', epoch, 'e', ARGV[4])
local bytes = redis.call('HINCRBY', KEYS[1], 'b', string.len(ARGV[4]))
local kept = redis.call('XLEN', KEYS[2])
while kept > 1 and (kept > tonumber(ARGV[3]) or bytes > tonumber(ARGV[7])) do
  local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
  bytes = bytes - string.len(oldest[2][4])
  redis.call('XDEL', KEYS[2], oldest[1])
  kept = kept - 1
end
redis.call('HSET', KEYS[1], 'seq', seq, 'tok', ARGV[6], 'b', bytes)
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
redis.call('SPUBLISH', ARGV[5], epoch .. '-' .. seq .. ' ' .. ARGV[4])
return {epoch, seq, run}
"""

# KEYS: meta, stream. ARGV: durable run id.
# Returns {epoch, first, last, run_id}: the window PROTOCOL.md's decision needs; a room that
# does not exist answers the window before it began ("0", 1, 0) and is not created.
WINDOW = LOOK + """
local epoch, seq, run = look(KEYS[1], KEYS[2], ARGV[1])
if not epoch then
  return {'""" + NO_ROOM + """', 1, 0, run}
end
local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local first = seq + 1
if head[1] then first = tonumber(string.match(head[1][1], '^(%d+)')) end
return {epoch, first, seq, run}
"""

# Presence (presence.py): `wsb:{room}:presence`, a sorted set, member "<replica id>:<client>", score =
# when it expires, in ms of Redis's own clock (TIME), so replicas' clocks never have to agree.
NOW_MS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: presence. ARGV: expiry (ms), then the members to write. Drops expired members, (re)writes these
# with now + expiry, and keeps the key itself alive at least as long as its newest member, never
# shortening it (a replica with a longer expiry may have written it).
PRESENCE_TOUCH = NOW_MS + """
local ttl = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
end
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 0
"""

# KEYS: presence. ARGV: at most this many members. The members not expired yet; writes nothing.
PRESENCE_READ = NOW_MS + """
return redis.call('ZRANGE', KEYS[1], '(' .. now, '+inf', 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[1]))
"""
