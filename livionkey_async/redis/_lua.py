"""The Lua that runs inside Redis: the shared rate budget, the login lock's renewal and release.

The budget is ONE script (every key it touches in ``KEYS``, the time from the server's ``TIME``)
so that every worker process of an account reserves its slots from one GCRA, one pause and one
rate finder. The rate finder is a port of the core's ``_RateFinder`` (``_pacing.py``): slow
start, a plateau set from what got through before a 429, a cubic recovery, a hold that doubles
while probes find the limit where it was, and a probe above the plateau. Its functions are a
chunk of their own (``FINDER``) so the tests can run them beside the Python original and compare.

Numbers are stored as text with ``%.17g`` (Lua's ``tostring`` keeps only 14 digits, which would
round a server timestamp to a tenth of a millisecond); an infinite plateau is stored as ``""``,
and so is a missing rate (unpaced). A reply is a list of strings: Redis would truncate a Lua
number to an integer.
"""

from __future__ import annotations

__all__ = ["BUDGET", "DROP_IF", "EXTEND_IF_OWNER", "FINDER", "RELEASE_IF_OWNER"]

# The rate finder. State: a table f with mode, base, plateau, hold, grown, rate (nil = unpaced,
# plateau nil = not found yet). Constants as in _pacing.py.
FINDER = r"""
local SLOW_START_DOUBLING, PLATEAU, FAST_CONVERGENCE, BURST_GUESS = 1.0, 0.95, 0.7, 0.2
local CUT, RECOVERY, HOLD, GUESS_HOLD, MAX_HOLD = 0.85, 1.0, 60.0, 3.0, 480.0
local PROBE_TIME, MOVED, EPSILON = 3.0, 1.1, 1e-9

local function finder_new(initial, known, hint)
  local f = {hold = HOLD, grown = 0.0, plateau = nil, mode = 'slow start', base = initial}
  local start = known or hint
  if start then
    f.mode, f.plateau, f.base, f.grown = 'hold', start, start, RECOVERY
  end
  f.rate = f.base
  return f
end

local function finder_learnt(f)
  if f.mode == 'slow start' then return nil end
  return f.plateau
end

local function finder_grow(f, elapsed, cap)
  if f.base == nil then return end
  f.grown = f.grown + elapsed
  local grown, plateau, rate = f.grown, f.plateau, nil
  if f.mode == 'slow start' then
    rate = f.base * 2.0 ^ math.min(grown / SLOW_START_DOUBLING, 60.0)
  elseif grown < RECOVERY then
    f.mode = 'recover'
    rate = plateau - (plateau - f.base) * (1.0 - grown / RECOVERY) ^ 3
  elseif grown < RECOVERY + f.hold then
    f.mode, rate = 'hold', plateau
  else
    f.mode = 'probe'
    local over = (grown - RECOVERY - f.hold) / PROBE_TIME
    rate = plateau * (1.0 + 0.1 * over ^ 3)
  end
  if rate > cap then
    f.grown = f.grown - elapsed
    rate = cap
  end
  f.rate = rate
end

local function finder_decrease(f, old, measured, trusted, lasted, recent, min_rate)
  if old == nil and measured == nil then
    f.mode, f.base = 'slow start', math.max(min_rate, recent)
    f.grown, f.rate = 0.0, f.base
    return
  end
  local hold, estimate = HOLD, nil
  if measured ~= nil and (trusted or old == nil) then
    if old == nil then estimate = measured else estimate = math.min(PLATEAU * old, measured) end
  else
    estimate, hold = math.max(old / 2, measured or 0.0), GUESS_HOLD
  end
  local probing = f.mode == 'probe' and old ~= nil and f.plateau ~= nil
    and old > f.plateau * (1 + EPSILON)
  if probing then
    if estimate < MOVED * f.plateau then
      estimate = f.plateau
      if hold == HOLD then hold = math.min(2 * f.hold, MAX_HOLD) end
    end
  elseif f.mode ~= 'slow start' and f.plateau ~= nil then
    local share = 1.0 - BURST_GUESS / math.max(lasted, EPSILON)
    estimate = math.min(estimate,
      math.min(math.max(share, FAST_CONVERGENCE), PLATEAU) * f.plateau)
  end
  f.mode, f.hold, f.grown = 'recover', hold, 0.0
  f.plateau = math.max(min_rate, estimate)
  f.base = math.max(min_rate, CUT * f.plateau)
  f.rate = f.base
end
"""

# The budget. KEYS[1]: the state (a hash), KEYS[2]: recent grants (a sorted set, for the
# estimate of what got through), KEYS[3]: the member processes (a sorted set, for the share a
# process falls back to without Redis).
# ARGV: op ('acquire', 'throttled', 'pause'), member id, ceiling, initial rate, hint, burst,
# min rate, idle TTL (seconds); 'acquire' adds the longest wait for the slot the caller accepts
# (its deadline, '' = any) and the longest pause it waits out (its max_wait, '' = any): a slot
# after either is refused, not reserved, so a caller that gives up costs the others nothing;
# 'throttled' and 'pause' add sent_at (server seconds) and the generation its slot was given in
# (both ignored by 'pause'), retry_after, default_pause, initial_pause.
# Reply: now, slot, pause_until, generation, rate, learnt, members, congestion events, paused
# seconds, mode, new_event ('1' when a 'throttled' started a congestion event), refused ('1'
# when an 'acquire' reserved nothing: the slot it would have had is beyond what it accepts).
BUDGET = (
    FINDER
    + r"""
local ESTIMATE_WINDOW, ESTIMATE_COUNT, MIN_ESTIMATE_SPAN = 1.0, 16, 0.5
local LIMITED_MEMORY, MAX_RATE, MEMBER_TTL = 1.0, 1e6, 30.0

local state, grants, members = KEYS[1], KEYS[2], KEYS[3]
local op, member = ARGV[1], ARGV[2]
local function num(text) if text == nil or text == '' then return nil end return tonumber(text) end
local function fmt(x) if x == nil then return '' end return string.format('%.17g', x) end
local ceiling, initial, hint = num(ARGV[3]), num(ARGV[4]), num(ARGV[5])
local burst, min_rate, ttl = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])

local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6

local raw = redis.call('HGETALL', state)
local s = {}
for i = 1, #raw, 2 do s[raw[i]] = raw[i + 1] end
local f
if s.mode == nil then
  f = finder_new(initial, ceiling, hint)
  s = {tat = '-1e18', last_slot = '-1e18', pause_until = '-1e18', gen = '0', seq = '0',
       events = '0', paused = '0', last_decrease_at = '-1e18', last_delayed_at = '-1e18',
       unlimited_at = tostring(now), active_since = tostring(now), last_tick = tostring(now)}
else
  f = {mode = s.mode, base = num(s.base), plateau = num(s.plateau), hold = tonumber(s.hold),
       grown = tonumber(s.grown), rate = num(s.rate)}
end
local tat, last_slot, pause_until = tonumber(s.tat), tonumber(s.last_slot), tonumber(s.pause_until)
local gen, seq, events, paused = tonumber(s.gen), tonumber(s.seq), tonumber(s.events),
  tonumber(s.paused)
local last_decrease_at, last_delayed_at = tonumber(s.last_decrease_at), tonumber(s.last_delayed_at)
local unlimited_at, active_since = tonumber(s.unlimited_at), tonumber(s.active_since)
local last_tick = tonumber(s.last_tick)
local new_event, refused = '0', '0'

local function effective()
  local rate = f.rate
  if ceiling ~= nil and (rate == nil or ceiling < rate) then rate = ceiling end
  return rate
end

local function window(rate)
  if rate == nil then return ESTIMATE_WINDOW end
  return math.max(ESTIMATE_WINDOW, ESTIMATE_COUNT / rate)
end

local function replan()
  gen = gen + 1
  local rate = effective()
  local interval = 0.0
  if rate ~= nil then interval = 1.0 / rate end
  tat = math.max(pause_until, math.min(last_slot, now) + interval)
end

local function pause(seconds)
  local untill = now + math.max(seconds, 0.0)
  if untill <= pause_until then return end
  paused = paused + untill - math.max(pause_until, now)
  pause_until, active_since = untill, untill
  replan()
end

local function grow()
  local elapsed = now - math.max(last_tick, active_since)
  last_tick = now
  if elapsed <= 0 or now - last_delayed_at > LIMITED_MEMORY then return end
  local cap = MAX_RATE
  if ceiling ~= nil then cap = math.min(cap, ceiling) end
  -- Slots reserved already keep their spacing (no replan: other processes hold them).
  finder_grow(f, elapsed, cap)
end

if op == 'acquire' then
  grow()
  local rate = effective()
  local start = math.max(now, pause_until)
  local slot, interval = start, nil
  if rate ~= nil then
    interval = 1.0 / rate
    slot = math.max(start, tat - (burst - 1) * interval)
  end
  if slot > now + 1e-9 then last_delayed_at = now else unlimited_at = now end
  local longest, max_pause = num(ARGV[9]), num(ARGV[10])
  if (max_pause ~= nil and pause_until - now > max_pause)
    or (longest ~= nil and (longest <= 0 or slot - now > math.max(longest, 1e-6))) then
    refused = '1'  -- as the local pacer: a wait it would not see through takes no slot
  else
    if interval ~= nil then tat = math.max(tat, slot) + interval end
    last_slot = math.max(last_slot, slot)
    seq = seq + 1
    redis.call('ZADD', grants, fmt(slot), fmt(seq))
  end
  redis.call('ZREMRANGEBYSCORE', grants, '-inf', fmt(now - 2 * window(rate) - 1.0))
  s.slot = slot
elseif op == 'throttled' or op == 'pause' then
  local sent_at, sent_gen = tonumber(ARGV[9]), tonumber(ARGV[10])
  local retry_after = num(ARGV[11])
  local wait = retry_after
  -- A new event: a slot given under the current plan, let out after the last decrease.
  if op == 'throttled' and sent_gen == gen and sent_at > last_decrease_at then
    new_event = '1'
    events = events + 1
    local old = effective()
    local w = window(old)
    local from = math.max(sent_at - w, active_since)
    local span = sent_at - from
    local measured, trusted = nil, false
    if span >= MIN_ESTIMATE_SPAN * w then
      -- What got through is counted from the grants before the 429's own: less one, since the
      -- processes report their 429s as they can, so the first one Redis hears of is seldom the
      -- first one sent, and that earlier one's grant is in the window (a plateau one request a
      -- second over the limit fails again seconds later, when the server's burst is spent).
      local count = redis.call('ZCOUNT', grants, fmt(from), '(' .. fmt(sent_at))
      measured = math.max(0, count - 1) / span
      trusted = unlimited_at <= from
    end
    local recent = redis.call('ZCOUNT', grants, fmt(now - ESTIMATE_WINDOW), fmt(now))
    finder_decrease(f, old, measured, trusted, sent_at - active_since, recent, min_rate)
    last_decrease_at = now
    replan()
    if wait == nil then wait = tonumber(ARGV[12]) end
  elseif wait == nil then
    wait = tonumber(ARGV[13])
  end
  pause(wait)
end

redis.call('HSET', state, 'mode', f.mode, 'base', fmt(f.base), 'plateau', fmt(f.plateau),
  'hold', fmt(f.hold), 'grown', fmt(f.grown), 'rate', fmt(f.rate), 'tat', fmt(tat),
  'last_slot', fmt(last_slot), 'pause_until', fmt(pause_until), 'gen', fmt(gen),
  'seq', fmt(seq), 'events', fmt(events), 'paused', fmt(paused),
  'last_decrease_at', fmt(last_decrease_at), 'last_delayed_at', fmt(last_delayed_at),
  'unlimited_at', fmt(unlimited_at), 'active_since', fmt(active_since),
  'last_tick', fmt(last_tick))
redis.call('ZADD', members, fmt(now), member)
redis.call('ZREMRANGEBYSCORE', members, '-inf', fmt(now - MEMBER_TTL))
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ttl) end
return {fmt(now), fmt(s.slot or now), fmt(pause_until), fmt(gen), fmt(effective()),
  fmt(finder_learnt(f)), fmt(redis.call('ZCARD', members)), fmt(events), fmt(paused), f.mode,
  new_event, refused}
"""
)

# The login lock: deleted only by the acquisition that holds it (its own random value).
RELEASE_IF_OWNER = r"""
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# The login lock: renewed (ARGV[2] milliseconds from now) only by the acquisition that holds it.
EXTEND_IF_OWNER = r"""
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

# A refused token is dropped only if it is still the shared one (a newer login may have
# replaced it already).
DROP_IF = r"""
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
