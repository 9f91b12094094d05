"""The Redis store's Lua: each room's counter, epoch and stream change in one atomic step.

Keys of a room (all under the `{room}` hash tag, so a Redis Cluster keeps a room on one node):

* `wsb:{room}:meta`: a hash `epoch`, `seq` (the last seq handed out), `run` (the run_id of the
  Redis process that last wrote it), `dur` ("1" if that process persisted every write before
  answering: AOF with `appendfsync always`), `v` (the layout version, FORMAT) and `tok` (the
  last publish's token);
* `wsb:{room}:stream`: the retained events, stream id `<seq>-0`, fields `ep` = the epoch and
  `e` = the event's body exactly as Python built it (events.py): the Lua never touches JSON.

The epoch check (`ensure`): a room whose meta was written by another Redis process (Redis
restarted since) that did not persist every write may have come back from an older snapshot,
behind what clients already saw. Its counter would hand out ids again that clients hold for
other events, so the room starts a new epoch (its stream is dropped): every client resuming in
it gets one reset instead of a silent, wrong replay. A room that is missing (Redis lost
everything) starts a new epoch the same way. Only a room last written by a Redis that fsyncs
every write keeps its epoch across a restart.

A room written in another layout (an older version of this store) starts a new epoch the same
way, so its clients get one reset instead of entries this version cannot read.
"""

from __future__ import annotations

FORMAT = "2"

ENSURE = """
local function ensure(meta, stream, candidate, durable_run)
  local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
  local m = redis.call('HMGET', meta, 'epoch', 'seq', 'run', 'dur', 'v')
  local epoch, seq = m[1], tonumber(m[2])
  local dur = (run == durable_run) and '1' or '0'
  if (not epoch) or m[5] ~= '""" + FORMAT + """' or (m[3] ~= run and m[4] ~= '1') then
    epoch, seq = candidate, 0
    redis.call('DEL', stream, meta)
    redis.call('HSET', meta, 'epoch', epoch, 'seq', 0, 'run', run, 'dur', dur, 'v', '""" + FORMAT + """')
  elseif m[3] ~= run or m[4] ~= dur then
    redis.call('HSET', meta, 'run', run, 'dur', dur)
  end
  return epoch, seq, run
end
"""

# KEYS: meta, stream. ARGV: candidate epoch, durable run id, retention, the event's body,
# the channel that tells every replica, a token naming this publish.
# Returns {epoch, seq, run_id}. A retry with the same token (the reply was lost with the
# connection) answers the event already published instead of publishing it twice.
# The channel's message is "<epoch>-<seq> <body>": the id, a space, the body as stored.
PUBLISH = ENSURE + """
local epoch, seq, run = ensure(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
if redis.call('HGET', KEYS[1], 'tok') == ARGV[6] then
  return {epoch, seq, run}
end
seq = seq + 1
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], seq .. '-0', 'ep', epoch, 'e', ARGV[4])
redis.call('HSET', KEYS[1], 'seq', seq, 'tok', ARGV[6])
redis.call('PUBLISH', ARGV[5], epoch .. '-' .. seq .. ' ' .. ARGV[4])
return {epoch, seq, run}
"""

# KEYS: meta, stream. ARGV: candidate epoch, durable run id.
# Returns {epoch, first, last, run_id}: the window PROTOCOL.md's decision needs.
WINDOW = ENSURE + """
local epoch, seq, run = ensure(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local first = seq + 1
if head[1] then first = tonumber(string.match(head[1][1], '^(%d+)')) end
return {epoch, first, seq, run}
"""
