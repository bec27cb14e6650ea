/**
 * The fleet's one Lua script. Every operation reads Redis `TIME` (or, for the model test only, a
 * given `now`), checks and repairs the keys, loads the state (a missing hash is a fresh `closed`
 * with a new epoch), settles which configuration owns the record, performs the lazy
 * open → half_open transition, does its work, refreshes the TTLs and replies with the
 * authoritative snapshot. A transition increments `gen` and publishes a hint on the channel. The
 * state hash is rewritten only when something in it changed; its TTL is refreshed on every call.
 *
 * Repair. A key of the wrong type, a state hash with a field that does not parse, is out of
 * range or is not ours, a window or reporters hash with a field that does not parse, a lease
 * beyond any lease's lifetime, or a key without a TTL (nothing of ours lacks one) is deleted; a
 * deleted state hash is rewritten from the caller's view (ARGV 18), else started fresh. The reply
 * lists the keys repaired.
 *
 * Configurations. The state hash's `cfg` is the configuration that owns the record; the configs
 * zset holds every configuration seen recently, each with its expiry (now + ARGV 17). A caller
 * with another configuration is refused (nothing it sends changes the shared state, except
 * `force`) while the owner's entry is live, and takes the record over once it has expired (the
 * counts start again and an open period is cut to the new owner's longest). Every caller is told
 * when more than one configuration is live.
 *
 * KEYS: 1 state hash, 2 window hash, 3 reporters hash, 4 leases zset, 5 configs zset.
 * ARGV: 1 op, 2 now ('' = TIME), 3 channel, 4..16 the rule (see {@link ruleArgs}), 17 config
 * lifetime ms, 18 the caller's view `st|gen|epoch|until` ('' when it has none), 19.. op args:
 *   flush   calls failures slow clientGen instanceId
 *   acquire leaseId leaseMs cap
 *   report  leaseId probeGen outcome (ok | fail | release)
 *   sync    -
 *   force   action (isolate | reset | release)
 * Reply: { st, gen, epoch, until, now, flag (applied / granted), cfgMismatch, ok, refused,
 *   { repaired keys } }.
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
local stateTtl = tonumber(ARGV[15]); local cfg = ARGV[16]; local cfgMs = tonumber(ARGV[17]); local view = ARGV[18]
local S, W, I, P, C = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local MAXMS = 2147483648
local MAXINT = 9007199254740991
local STATES = { closed = true, open = true, half_open = true, forced_open = true }

local repaired = {}
local fixed = {}
local function fix(k)
  redis.call('DEL', k)
  if not fixed[k] then fixed[k] = true; repaired[#repaired + 1] = k end
end
local function int(v, max)
  return v ~= nil and v == math.floor(v) and v >= 0 and v <= max
end
-- A key of the wrong type, or one without a TTL (every key of ours has one), is deleted.
-- Returns the key's TTL, or false when there is no key (any more).
local function check(k, want)
  local t = redis.call('TYPE', k)['ok']
  if t == 'none' then return false end
  local ttl = redis.call('PTTL', k)
  if t ~= want or ttl < 0 then fix(k); return false end
  return ttl
end
local wTtl, iTtl, pOn = false, false, false
local present = redis.call('EXISTS', W, I, P)
if present > 0 then
  wTtl = check(W, 'hash')
  if wTtl then present = present - 1 end
  if present > 0 then iTtl = check(I, 'hash') end
  if iTtl then present = present - 1 end
  if present > 0 then pOn = check(P, 'zset') ~= false end
end
local wOn = wTtl ~= false
local iOn = iTtl ~= false

local st, gen, epoch, untl, ok, opens, scfg
local dirty = false
local sOk = false
local h = redis.pcall('HMGET', S, 'st', 'gen', 'epoch', 'until', 'ok', 'opens', 'cfg')
if h['err'] then
  fix(S)
elseif h[1] then
  st = h[1]; gen = tonumber(h[2]); epoch = h[3]; untl = tonumber(h[4]); ok = tonumber(h[5]); opens = tonumber(h[6]); scfg = h[7]
  sOk = STATES[st] and int(gen, MAXINT) and type(epoch) == 'string' and #epoch <= 64
      and string.match(epoch, '^[%d.]+$') and untl ~= nil and untl >= 0 and untl <= now + MAXMS
      and int(ok, MAXMS) and int(opens, 100000) and type(scfg) == 'string' and #scfg <= 1024
      and redis.call('HLEN', S) <= 8
  if not sOk then fix(S) end
elseif redis.call('EXISTS', S) == 1 then
  fix(S) -- a hash without our fields
end
if not sOk then
  st = 'closed'; gen = 0; epoch = fresh; untl = 0; ok = 0; opens = 0; scfg = cfg; dirty = true
  if fixed[S] then
    -- Rebuilt from the caller's view, so the instances that share it see no change.
    local vst, vgen, vep, vun = string.match(view, '^([%a_]+)|(%d+)|([%d.]+)|(%d+)$')
    if vst and STATES[vst] and #vep <= 64 then
      st = vst; gen = tonumber(vgen); epoch = vep; untl = tonumber(vun)
      if st ~= 'open' then untl = 0 end
      if untl > now + maxOpen then untl = now + maxOpen end
    end
  end
end

local changed = false
local function go(to, u)
  st = to; gen = gen + 1; untl = u; ok = 0; changed = true; dirty = true
  redis.call('DEL', P, W, I)
  wOn = false; iOn = false; pOn = false
end
local function openFor(n)
  local d = openMs * (mult ^ n)
  if d > maxOpen then d = maxOpen end
  return now + d
end

-- Which configurations are in use, and which one owns the record.
if type(redis.pcall('ZADD', C, now + cfgMs, cfg)) == 'table' then
  fix(C); redis.call('ZADD', C, now + cfgMs, cfg)
end
redis.call('PEXPIRE', C, stateTtl)
local mismatch = 0
if redis.call('ZCARD', C) > 1 then
  redis.call('ZREMRANGEBYSCORE', C, '-inf', now)
  -- An entry no instance can have made (beyond three of the longest sync intervals).
  if redis.call('ZREMRANGEBYSCORE', C, '(' .. (now + 3 * MAXMS), '+inf') > 0 and not fixed[C] then
    fixed[C] = true; repaired[#repaired + 1] = C
  end
  if redis.call('ZCARD', C) > 1 then mismatch = 1 end
end
local refused = false
local tookOver = false
if scfg ~= cfg then
  local owner = tonumber(redis.call('ZSCORE', C, scfg))
  if owner and owner > now then
    refused = true
  else
    -- The owner's instances are gone: this configuration takes over, with fresh counts.
    scfg = cfg; dirty = true; tookOver = true
    redis.call('DEL', W, I); wOn = false; iOn = false
  end
end
if not refused then
  -- Bounds that only the owner's configuration gives: its longest open period, its window.
  if st == 'open' and untl > now + maxOpen then
    untl = now + maxOpen; dirty = true
    if not tookOver and not fixed[S] then repaired[#repaired + 1] = S; fixed[S] = true end
  end
  if wOn and wTtl > 2 * windowMs then fix(W); wOn = false end
  if iOn and iTtl > 2 * windowMs then fix(I); iOn = false end
end

if pOn then
  redis.call('ZREMRANGEBYSCORE', P, '-inf', now)
  if redis.call('ZREMRANGEBYSCORE', P, '(' .. (now + MAXMS), '+inf') > 0 and not fixed[P] then
    fixed[P] = true; repaired[#repaired + 1] = P
  end
end

if st == 'open' and now >= untl then go('half_open', 0) end

local flag = 0
if op == 'flush' then
  local calls = tonumber(ARGV[19]); local fails = tonumber(ARGV[20]); local slow = tonumber(ARGV[21])
  local cg = tonumber(ARGV[22]); local inst = ARGV[23]
  if not refused and st == 'closed' and (cg == gen or cg == -1) then
    flag = 1
    local bms = windowMs / buckets
    local idx = math.floor(now / bms)
    local low = idx - buckets + 1
    local tc, tf, ts = calls, fails, slow
    if wOn then
      local all = redis.call('HGETALL', W)
      local stale = {}
      local bad = false
      for k = 1, #all, 2 do
        local f = all[k]; local c = string.sub(f, 1, 1); local b = tonumber(string.sub(f, 2)); local v = tonumber(all[k + 1])
        if (c ~= 'c' and c ~= 'f' and c ~= 's') or b == nil or b ~= math.floor(b) or not int(v, MAXINT) then
          bad = true; break
        end
        if b < low or b > idx then stale[#stale + 1] = f
        elseif c == 'c' then tc = tc + v elseif c == 'f' then tf = tf + v else ts = ts + v end
      end
      if bad then fix(W); tc, tf, ts = calls, fails, slow
      elseif #stale > 0 then redis.call('HDEL', W, unpack(stale)) end
    end
    if calls > 0 then redis.call('HINCRBY', W, 'c' .. idx, calls) end
    if fails > 0 then redis.call('HINCRBY', W, 'f' .. idx, fails) end
    if slow > 0 then redis.call('HINCRBY', W, 's' .. idx, slow) end
    if calls > 0 or fails > 0 or slow > 0 then wOn = true end
    local reps = 0
    local me = false
    if iOn then
      local rall = redis.call('HGETALL', I)
      local rstale = {}
      local bad = false
      for k = 1, #rall, 2 do
        local b = tonumber(rall[k + 1])
        if b == nil or b ~= math.floor(b) then bad = true; break end
        if b < low or b > idx then rstale[#rstale + 1] = rall[k]
        elseif rall[k] == inst then me = true
        else reps = reps + 1 end
      end
      if bad then fix(I); reps = 0; me = false
      elseif #rstale > 0 then redis.call('HDEL', I, unpack(rstale)) end
    end
    if fails > 0 or slow > 0 then redis.call('HSET', I, inst, idx); iOn = true; me = true end
    if me then reps = reps + 1 end
    local trip = false
    if reps >= minRep then
      if failTh > 0 and tf >= failTh then trip = true end
      if rateTh > 0 and tc >= minCalls and tc > 0 and tf / tc >= rateTh then trip = true end
      if slowTh > 0 and tc >= minCalls and tc > 0 and ts / tc >= slowTh then trip = true end
    end
    if trip then opens = 0; go('open', openFor(0)) end
  end
elseif op == 'acquire' then
  local id = ARGV[19]; local leaseMs = tonumber(ARGV[20]); local cap = tonumber(ARGV[21])
  if not refused and st == 'half_open' then
    if redis.call('ZCARD', P) < cap then
      redis.call('ZADD', P, now + leaseMs, id)
      redis.call('PEXPIRE', P, leaseMs + 1000)
      flag = 1
    end
  end
elseif op == 'report' then
  local id = ARGV[19]; local pg = tonumber(ARGV[20]); local outcome = ARGV[21]
  if pOn then redis.call('ZREM', P, id) end
  if not refused and st == 'half_open' and pg == gen and outcome ~= 'release' then
    flag = 1
    if outcome == 'ok' then
      ok = ok + 1; dirty = true
      if ok >= succTh then opens = 0; go('closed', 0) end
    else
      opens = opens + 1; go('open', openFor(opens))
    end
  end
elseif op == 'force' then
  local action = ARGV[19]
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
if op == 'flush' and flag == 1 then
  if wOn then redis.call('PEXPIRE', W, 2 * windowMs) end
  if iOn then redis.call('PEXPIRE', I, 2 * windowMs) end
end
if changed then redis.call('PUBLISH', chan, st .. '|' .. gen .. '|' .. epoch .. '|' .. untl .. '|' .. now) end
local r = 0
if refused then r = 1 end
return { st, gen, epoch, tostring(untl), tostring(now), flag, mismatch, ok, r, repaired }
`;

/** SHA-1 of the script, for `EVALSHA`. */
export const FLEET_SCRIPT_SHA = createHash('sha1').update(FLEET_SCRIPT).digest('hex');
