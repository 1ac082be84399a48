"""The directory's Lua scripts: each runs atomically in Redis, so two nodes placing the same
room at once, or placing two rooms at once, see each other's writes.

Keys, under a prefix (KEYS are not declared: the directory needs one Redis, not a cluster):
  nodes                 SET of node ids ever registered (pruned when found dead)
  node:<id>             HASH url, capacity, boot, draining: exists only while its lease runs
  node:<id>:rooms       SET of the room names placed on the node
  room:<name>           HASH node, token, expected, present, claimed (ms, Redis's clock)
  fence                 the fencing counter: every claim takes the next number
  since                 when this Redis's directory began (ms): a restart comes back empty

Times are Redis's own (`TIME`), never a node's: the nodes' clocks do not have to agree.
"""

# The time in ms, and the directory's start (set now if this Redis has just come up empty:
# the fencing counter then starts from the time, above any token handed out before).
_CLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('SET', p .. 'since', now, 'NX') then
  if not redis.call('GET', p .. 'fence') then
    redis.call('SET', p .. 'fence', now)
  end
end
local since = tonumber(redis.call('GET', p .. 'since'))
"""

# ARGV: prefix, room, expected size, recovery ms.
# Returns {node, token, placed, url}: the live owner if there is one (placed = 0), else the
# least-loaded live node that is not draining, now the owner with a new token (placed = 1);
# {"", 0, 0, reason} when no node can take it ("none", or "recovering": Redis came back
# empty less than `recovery` ms ago and the nodes have not all told it their rooms yet).
PLACE = (
    """
local p, name, expected, recovery = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
"""
    + _CLOCK
    + """
-- Ties go to the smaller id, numbers in it read as numbers: node2 before node10, as an
-- operator counting the nodes expects.
local function before(a, b)
  local i, j = 1, 1
  while i <= #a and j <= #b do
    local da, db = string.match(a, '^%d+', i), string.match(b, '^%d+', j)
    if da and db then
      if tonumber(da) ~= tonumber(db) then
        return tonumber(da) < tonumber(db)
      end
      i, j = i + #da, j + #db
    else
      local ca, cb = string.sub(a, i, i), string.sub(b, j, j)
      if ca ~= cb then
        return ca < cb
      end
      i, j = i + 1, j + 1
    end
  end
  if #a - i ~= #b - j then
    return #a - i < #b - j
  end
  return a < b
end
local room = p .. 'room:' .. name
local owner = redis.call('HGET', room, 'node')
if owner and redis.call('EXISTS', p .. 'node:' .. owner) == 1 then
  local url = redis.call('HGET', p .. 'node:' .. owner, 'url')
  return {owner, tonumber(redis.call('HGET', room, 'token')), 0, url}
end
if not owner and now - since < recovery then
  return {'', 0, 0, 'recovering'}
end
local best, best_score = nil, nil
for _, id in ipairs(redis.call('SMEMBERS', p .. 'nodes')) do
  local key = p .. 'node:' .. id
  if redis.call('EXISTS', key) == 0 then
    -- A lapsed lease: the node is dead, its rooms are free to claim again.
    redis.call('SREM', p .. 'nodes', id)
    redis.call('DEL', key .. ':rooms')
  elseif redis.call('HGET', key, 'draining') ~= '1' then
    local load = tonumber(redis.call('HGET', key, 'guests')) or 0
    for _, held in ipairs(redis.call('SMEMBERS', key .. ':rooms')) do
      local r = redis.call('HMGET', p .. 'room:' .. held, 'node', 'expected', 'present')
      if r[1] == id then
        load = load + math.max(tonumber(r[2]) or 0, tonumber(r[3]) or 0)
      end
    end
    local capacity = tonumber(redis.call('HGET', key, 'capacity')) or 1
    local score = load / math.max(capacity, 1)
    if best == nil or score < best_score or (score == best_score and before(id, best)) then
      best, best_score = id, score
    end
  end
end
if best == nil then
  return {'', 0, 0, 'none'}
end
local token = redis.call('INCR', p .. 'fence')
redis.call('HSET', room, 'node', best, 'token', token, 'expected', expected, 'present', 0,
  'claimed', now)
redis.call('SADD', p .. 'node:' .. best .. ':rooms', name)
return {best, token, 1, redis.call('HGET', p .. 'node:' .. best, 'url')}
"""
)

# ARGV: prefix, node id, url, capacity, lease ms, boot, adopt ms, recovery ms, guests (the
# people of other nodes' rooms whose media this node carries: an event's audience piped
# here), then (room, token, present) triples. Returns {status, settling ms, lost...}:
# - status "conflict": another process holds this node id under a live lease (its `boot`
#   differs); nothing is written.
# - else "ok", how long new rooms still wait for the other nodes after a restart of Redis
#   (`PLACE`'s recovery; 0 when they do not), and the rooms (of those given) that are no
#   longer the node's under that token:
#   another node owns them now. The lease and each room's head count are renewed. A room the
#   directory has forgotten (Redis restarted empty) is the node's again, under its token.
#   A room claimed for the node more than `adopt` ms ago that it does not report (a door
#   placed it here and its join never came) is let go.
HEARTBEAT = (
    """
local p, id, boot, adopt, recovery = ARGV[1], ARGV[2], ARGV[6], tonumber(ARGV[7]),
  tonumber(ARGV[8])
"""
    + _CLOCK
    + """
local key = p .. 'node:' .. id
local holder = redis.call('HGET', key, 'boot')
if holder and holder ~= boot then
  return {'conflict', 0}
end
redis.call('HSET', key, 'url', ARGV[3], 'capacity', ARGV[4], 'boot', boot, 'guests', ARGV[9])
redis.call('PEXPIRE', key, tonumber(ARGV[5]))
redis.call('SADD', p .. 'nodes', id)
local result = {'ok', math.max(0, since + recovery - now)}
local reported = {}
for i = 10, #ARGV, 3 do
  local name, token, present = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  reported[name] = true
  local room = p .. 'room:' .. name
  local r = redis.call('HMGET', room, 'node', 'token')
  if r[1] == false then
    redis.call('HSET', room, 'node', id, 'token', token, 'expected', present,
      'present', present, 'claimed', now)
    redis.call('SADD', key .. ':rooms', name)
    if tonumber(redis.call('GET', p .. 'fence') or '0') < tonumber(token) then
      redis.call('SET', p .. 'fence', token)
    end
  elseif r[1] == id and r[2] == token then
    redis.call('HSET', room, 'present', present)
    redis.call('SADD', key .. ':rooms', name)
  else
    table.insert(result, name)
  end
end
for _, name in ipairs(redis.call('SMEMBERS', key .. ':rooms')) do
  if not reported[name] then
    local room = p .. 'room:' .. name
    local r = redis.call('HMGET', room, 'node', 'claimed')
    if r[1] ~= id then
      redis.call('SREM', key .. ':rooms', name)
    elseif now - (tonumber(r[2]) or 0) > adopt then
      redis.call('DEL', room)
      redis.call('SREM', key .. ':rooms', name)
    end
  end
end
return result
"""
)

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

# ARGV: prefix, node id, boot. A node stopping on purpose: gone from placement at once (not
# after its lease), its rooms free for the others. Returns how many rooms it let go (0, and
# nothing done, when the id is another process's now).
LEAVE = """
local p, id, boot = ARGV[1], ARGV[2], ARGV[3]
local key = p .. 'node:' .. id
local holder = redis.call('HGET', key, 'boot')
if holder and holder ~= boot then
  return 0
end
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

# ARGV: prefix, task, node id, boot, ms, grace ms. Whether the node (this process of it: its
# boot) is the one to do the task: the first to ask, until `ms` have passed or its holder has
# died (its lease lapsed, or it restarted: another boot). A claim younger than `grace` holds
# whatever its holder's lease: a node repairs before it first registers. Returns 1 when taken.
TAKE = (
    """
local p, id, boot, grace = ARGV[1], ARGV[3], ARGV[4], tonumber(ARGV[6])
"""
    + _CLOCK
    + """
local key = p .. 'task:' .. ARGV[2]
local held = redis.call('GET', key)
if held then
  local holder, holder_boot, claimed = string.match(held, '^(.*)|([^|]*)|(%d+)$')
  if holder == nil or now - tonumber(claimed) < grace
      or redis.call('HGET', p .. 'node:' .. holder, 'boot') == holder_boot then
    return 0
  end
end
redis.call('SET', key, id .. '|' .. boot .. '|' .. now, 'PX', tonumber(ARGV[5]))
return 1
"""
)

# ARGV: prefix, node id, "1" or "0". Returns 1 when the node is alive (and now draining or
# not), 0 when it is not: its hash is never made again by this (it would have no lease).
DRAIN = """
local key = ARGV[1] .. 'node:' .. ARGV[2]
if redis.call('EXISTS', key) == 0 then
  return 0
end
redis.call('HSET', key, 'draining', ARGV[3])
return 1
"""
