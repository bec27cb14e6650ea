/**
 * The fleet's one Lua script. Every operation reads Redis `TIME` (or, for the model test only, a
 * given `now`), loads the state (a missing hash is a fresh `closed` with a new epoch), performs
 * the lazy open → half_open transition, does its work, refreshes every TTL and replies with the
 * authoritative snapshot. A transition increments `gen` and publishes a hint on the channel. The
 * state hash is rewritten only when something in it changed; its TTL is refreshed on every call.
 *
 * KEYS: 1 state hash, 2 window hash, 3 reporters hash, 4 leases zset.
 * ARGV: 1 op, 2 now ('' = TIME), 3 channel, 4..16 the rule (see {@link ruleArgs}), 17.. op args:
 *   flush   calls failures slow clientGen instanceId
 *   acquire leaseId leaseMs cap
 *   report  leaseId probeGen outcome (ok | fail | release)
 *   sync    -
 *   force   action (isolate | reset | release)
 * Reply: { st, gen, epoch, until, now, flag (applied / granted), cfgMismatch, ok }.
 */
import { createHash } from 'node:crypto';

export const FLEET_SCRIPT = `
local op = ARGV[1]
local now, fresh
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2]); fresh = ARGV[2]
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000); fresh = t[1] .. '.' .. t[2]
end
local chan = ARGV[3]
local windowMs = tonumber(ARGV[4]); local buckets = tonumber(ARGV[5])
local failTh = tonumber(ARGV[6]); local rateTh = tonumber(ARGV[7]); local minCalls = tonumber(ARGV[8])
local slowTh = tonumber(ARGV[9]); local openMs = tonumber(ARGV[10]); local mult = tonumber(ARGV[11])
local maxOpen = tonumber(ARGV[12]); local succTh = tonumber(ARGV[13]); local minRep = tonumber(ARGV[14])
local stateTtl = tonumber(ARGV[15]); local cfg = ARGV[16]
local S, W, I, P = KEYS[1], KEYS[2], KEYS[3], KEYS[4]

local h = redis.call('HMGET', S, 'st', 'gen', 'epoch', 'until', 'ok', 'opens', 'cfg')
local st, gen, epoch, untl, ok, opens, scfg
local dirty = false
if h[1] then
  st = h[1]; gen = tonumber(h[2]); epoch = h[3]; untl = tonumber(h[4]); ok = tonumber(h[5]); opens = tonumber(h[6]); scfg = h[7]
else
  st = 'closed'; gen = 0; epoch = fresh; untl = 0; ok = 0; opens = 0; scfg = cfg; dirty = true
end
local changed = false
local function go(to, u)
  st = to; gen = gen + 1; untl = u; ok = 0; changed = true; dirty = true
  redis.call('DEL', P, W, I)
end
local function openFor(n)
  local d = openMs * (mult ^ n)
  if d > maxOpen then d = maxOpen end
  return now + d
end
if st == 'open' and now >= untl then go('half_open', 0) end

local flag = 0
if op == 'flush' then
  local calls = tonumber(ARGV[17]); local fails = tonumber(ARGV[18]); local slow = tonumber(ARGV[19])
  local cg = tonumber(ARGV[20]); local inst = ARGV[21]
  if st == 'closed' and (cg == gen or cg == -1) then
    flag = 1
    if scfg ~= cfg then scfg = cfg; dirty = true end
    local bms = windowMs / buckets
    local idx = math.floor(now / bms)
    local low = idx - buckets + 1
    if calls > 0 then redis.call('HINCRBY', W, 'c' .. idx, calls) end
    if fails > 0 then redis.call('HINCRBY', W, 'f' .. idx, fails) end
    if slow > 0 then redis.call('HINCRBY', W, 's' .. idx, slow) end
    if fails > 0 or slow > 0 then redis.call('HSET', I, inst, idx) end
    local tc, tf, ts = 0, 0, 0
    local all = redis.call('HGETALL', W)
    local stale = {}
    for k = 1, #all, 2 do
      local f = all[k]; local b = tonumber(string.sub(f, 2))
      if b < low then stale[#stale + 1] = f
      else
        local v = tonumber(all[k + 1]); local c = string.sub(f, 1, 1)
        if c == 'c' then tc = tc + v elseif c == 'f' then tf = tf + v else ts = ts + v end
      end
    end
    if #stale > 0 then redis.call('HDEL', W, unpack(stale)) end
    local reps = 0
    local rall = redis.call('HGETALL', I)
    local rstale = {}
    for k = 1, #rall, 2 do
      if tonumber(rall[k + 1]) < low then rstale[#rstale + 1] = rall[k] else reps = reps + 1 end
    end
    if #rstale > 0 then redis.call('HDEL', I, unpack(rstale)) end
    local trip = false
    if reps >= minRep then
      if failTh > 0 and tf >= failTh then trip = true end
      if rateTh > 0 and tc >= minCalls and tc > 0 and tf / tc >= rateTh then trip = true end
      if slowTh > 0 and tc >= minCalls and tc > 0 and ts / tc >= slowTh then trip = true end
    end
    if trip then opens = 0; go('open', openFor(0)) end
  end
elseif op == 'acquire' then
  local id = ARGV[17]; local leaseMs = tonumber(ARGV[18]); local cap = tonumber(ARGV[19])
  if st == 'half_open' then
    redis.call('ZREMRANGEBYSCORE', P, '-inf', now)
    if redis.call('ZCARD', P) < cap then
      redis.call('ZADD', P, now + leaseMs, id)
      redis.call('PEXPIRE', P, leaseMs + 1000)
      flag = 1
    end
  end
elseif op == 'report' then
  local id = ARGV[17]; local pg = tonumber(ARGV[18]); local outcome = ARGV[19]
  redis.call('ZREM', P, id)
  if st == 'half_open' and pg == gen and outcome ~= 'release' then
    flag = 1
    if outcome == 'ok' then
      ok = ok + 1; dirty = true
      if ok >= succTh then opens = 0; go('closed', 0) end
    else
      opens = opens + 1; go('open', openFor(opens))
    end
  end
elseif op == 'force' then
  local action = ARGV[17]
  if action == 'isolate' then
    if st ~= 'forced_open' then go('forced_open', 0) end
  elseif action == 'reset' then
    opens = 0; go('closed', 0)
  elseif action == 'release' then
    if st == 'forced_open' then opens = 0; go('closed', 0) end
  end
  flag = 1
end

if dirty then
  redis.call('HSET', S, 'st', st, 'gen', gen, 'epoch', epoch, 'until', untl, 'ok', ok, 'opens', opens, 'cfg', scfg, 'at', now)
end
redis.call('PEXPIRE', S, stateTtl)
if redis.call('EXISTS', W) == 1 then redis.call('PEXPIRE', W, 2 * windowMs) end
if redis.call('EXISTS', I) == 1 then redis.call('PEXPIRE', I, 2 * windowMs) end
if changed then redis.call('PUBLISH', chan, st .. '|' .. gen .. '|' .. epoch .. '|' .. untl .. '|' .. now) end
local mismatch = 0
if scfg ~= cfg then mismatch = 1 end
return { st, gen, epoch, tostring(untl), tostring(now), flag, mismatch, ok }
`;

/** SHA-1 of the script, for `EVALSHA`. */
export const FLEET_SCRIPT_SHA = createHash('sha1').update(FLEET_SCRIPT).digest('hex');
