"""The directory's Lua scripts: each runs atomically in Redis, so two nodes placing the same
room at once, or placing two rooms at once, see each other's writes.

Keys, under a prefix (KEYS are not declared: the directory needs one Redis, not a cluster):
  nodes                 SET of node ids ever registered (pruned when found dead)
  node:<id>             HASH url, capacity, draining: exists only while its lease runs
  node:<id>:rooms       SET of the room names placed on the node
  room:<name>           HASH node, token, expected, present
  fence                 the fencing counter: every claim takes the next number
"""

# ARGV: prefix, room, expected size.
# Returns {node, token, placed, url}: the live owner if there is one (placed = 0), else the
# least-loaded live node that is not draining, now the owner with a new token (placed = 1);
# {"", 0, 0, ""} when no node can take it.
PLACE = """
local p, name, expected = ARGV[1], ARGV[2], tonumber(ARGV[3])
local room = p .. 'room:' .. name
local owner = redis.call('HGET', room, 'node')
if owner and redis.call('EXISTS', p .. 'node:' .. owner) == 1 then
  local url = redis.call('HGET', p .. 'node:' .. owner, 'url')
  return {owner, tonumber(redis.call('HGET', room, 'token')), 0, url}
end
local best, best_score = nil, nil
for _, id in ipairs(redis.call('SMEMBERS', p .. 'nodes')) do
  local key = p .. 'node:' .. id
  if redis.call('EXISTS', key) == 0 then
    -- A lapsed lease: the node is dead, its rooms are free to claim again.
    redis.call('SREM', p .. 'nodes', id)
    redis.call('DEL', key .. ':rooms')
  elseif redis.call('HGET', key, 'draining') ~= '1' then
    local load = 0
    for _, held in ipairs(redis.call('SMEMBERS', key .. ':rooms')) do
      local r = redis.call('HMGET', p .. 'room:' .. held, 'node', 'expected', 'present')
      if r[1] == id then
        load = load + math.max(tonumber(r[2]) or 0, tonumber(r[3]) or 0)
      end
    end
    local capacity = tonumber(redis.call('HGET', key, 'capacity')) or 1
    local score = load / math.max(capacity, 1)
    if best == nil or score < best_score or (score == best_score and id < best) then
      best, best_score = id, score
    end
  end
end
if best == nil then
  return {'', 0, 0, ''}
end
local token = redis.call('INCR', p .. 'fence')
redis.call('HSET', room, 'node', best, 'token', token, 'expected', expected, 'present', 0)
redis.call('SADD', p .. 'node:' .. best .. ':rooms', name)
return {best, token, 1, redis.call('HGET', p .. 'node:' .. best, 'url')}
"""

# ARGV: prefix, node id, url, capacity, lease ms, then (room, token, present) triples.
# Renews the node's lease and each room's head count; returns the rooms (of those given)
# that are no longer the node's under that token: another node owns them now. A room the
# directory has forgotten (Redis restarted empty) is the node's again, under its token, and
# the fencing counter is moved past it: a restart of Redis does not end the lessons.
HEARTBEAT = """
local p, id = ARGV[1], ARGV[2]
local key = p .. 'node:' .. id
redis.call('HSET', key, 'url', ARGV[3], 'capacity', ARGV[4])
redis.call('PEXPIRE', key, tonumber(ARGV[5]))
redis.call('SADD', p .. 'nodes', id)
local lost = {}
for i = 6, #ARGV, 3 do
  local name, token, present = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local room = p .. 'room:' .. name
  local r = redis.call('HMGET', room, 'node', 'token')
  if r[1] == false then
    redis.call('HSET', room, 'node', id, 'token', token, 'expected', present, 'present', present)
    redis.call('SADD', key .. ':rooms', name)
    if tonumber(redis.call('GET', p .. 'fence') or '0') < tonumber(token) then
      redis.call('SET', p .. 'fence', token)
    end
  elseif r[1] == id and r[2] == token then
    redis.call('HSET', room, 'present', present)
    redis.call('SADD', key .. ':rooms', name)
  else
    table.insert(lost, name)
  end
end
return lost
"""

# ARGV: prefix, room, node id, token. The owner lets the room go (its session ended); a
# node that is no longer the owner changes nothing. Returns 1 when released.
RELEASE = """
local p, name, id, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local room = p .. 'room:' .. name
local r = redis.call('HMGET', room, 'node', 'token')
if r[1] ~= id or r[2] ~= token then
  return 0
end
redis.call('DEL', room)
redis.call('SREM', p .. 'node:' .. id .. ':rooms', name)
return 1
"""

# ARGV: prefix, node id. A node stopping on purpose: gone from placement at once (not after
# its lease), its rooms free for the others. Returns how many rooms it let go.
LEAVE = """
local p, id = ARGV[1], ARGV[2]
local key = p .. 'node:' .. id
local released = 0
for _, name in ipairs(redis.call('SMEMBERS', key .. ':rooms')) do
  local room = p .. 'room:' .. name
  if redis.call('HGET', room, 'node') == id then
    redis.call('DEL', room)
    released = released + 1
  end
end
redis.call('DEL', key, key .. ':rooms')
redis.call('SREM', p .. 'nodes', id)
return released
"""
