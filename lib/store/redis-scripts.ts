/**
 * Lua sources of the Redis registration store (loaded with ioredis defineCommand: EVALSHA, falling back to EVAL
 * on NOSCRIPT). Every script names the keys it touches in KEYS, so each runs on one cluster slot when it is given
 * keys of one slot. Key layout: docs/store.md.
 */

/**
 * Versioned compare-and-set of one AOR.
 * KEYS[1] = AOR hash; KEYS[2] = expiry index (zset), KEYS[3..] = connection sets — both optional: in Cluster mode
 * only KEYS[1] is passed and the indexes are maintained by separate commands.
 * ARGV[1] = `_v` as read ('' when the hash was absent), ARGV[2] = new `_v`, ARGV[3] = TTL of the hash in ms
 * (0: the AOR is now empty, delete it), ARGV[4] = JSON {del, set, zrem, zadd, conn}:
 *   del: hash fields to remove; set: [field, json, field, json, ...];
 *   zrem: expiry-index members to remove; zadd: [score, member, ...];
 *   conn: [[index into KEYS, ttl ms, [members to remove], [members to add]], ...].
 * Returns 1 when written, 0 when `_v` changed since the read (the caller re-reads and retries).
 */
export const CAS_AOR = `
local cur = redis.call('HGET', KEYS[1], '_v') or ''
if cur ~= ARGV[1] then return 0 end
local ops = cjson.decode(ARGV[4])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  for _, f in ipairs(ops.del) do redis.call('HDEL', KEYS[1], f) end
  local set = ops.set
  for i = 1, #set, 2 do redis.call('HSET', KEYS[1], set[i], set[i + 1]) end
  redis.call('HSET', KEYS[1], '_v', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('DEL', KEYS[1])
end
if #KEYS >= 2 then
  for _, m in ipairs(ops.zrem) do redis.call('ZREM', KEYS[2], m) end
  local z = ops.zadd
  for i = 1, #z, 2 do redis.call('ZADD', KEYS[2], z[i], z[i + 1]) end
  for _, c in ipairs(ops.conn) do
    local k = KEYS[c[1]]
    for _, m in ipairs(c[3]) do redis.call('SREM', k, m) end
    if #c[4] > 0 then
      for _, m in ipairs(c[4]) do redis.call('SADD', k, m) end
      local cttl = tonumber(c[2])
      if redis.call('PTTL', k) < cttl then redis.call('PEXPIRE', k, cttl) end
    end
  end
end
return 1
`;

/**
 * Removes one AOR's bindings that arrived on one node's connection, in one step without a read round trip first
 * (standalone and Sentinel; the Cluster path reads and compares-and-sets). KEYS[1] = AOR hash, KEYS[2] = expiry
 * index, KEYS[3] = the connection set. ARGV[1] = node id, ARGV[2] = connection id, ARGV[3] = now (epoch ms),
 * ARGV[4] = the writer part of the new version, ARGV[5] = `<aor>\n` (index member prefix), ARGV[6..] = binding keys
 * from the connection set. A binding is removed only if it still names that node and connection (it may have
 * moved). The version moves like on any write (`<counter + 1>.<writer part>`); a hash left with no binding is
 * deleted. The hash TTL is left as it is (an upper bound; reads filter on expiry). Returns how many live bindings
 * were removed.
 */
export const DROP_BINDINGS = `
local now = tonumber(ARGV[3])
local removed, live = 0, 0
for i = 6, #ARGV do
  local k = ARGV[i]
  local raw = redis.call('HGET', KEYS[1], k)
  local m = ARGV[5] .. k
  if raw then
    local ok, b = pcall(cjson.decode, raw)
    if ok and type(b) == 'table' and b.nodeId == ARGV[1] and b.connectionId == ARGV[2] then
      redis.call('HDEL', KEYS[1], k)
      redis.call('ZREM', KEYS[2], m)
      removed = removed + 1
      if tonumber(b.expiresAt) > now then live = live + 1 end
    end
  end
  redis.call('SREM', KEYS[3], m)
end
if removed > 0 then
  if redis.call('HLEN', KEYS[1]) <= 1 then
    redis.call('DEL', KEYS[1])
  else
    local n = tonumber(string.match(redis.call('HGET', KEYS[1], '_v') or '', '^%d+')) or 0
    redis.call('HSET', KEYS[1], '_v', (n + 1) .. '.' .. ARGV[4])
  end
end
return live
`;

/**
 * One connection set's share of an AOR change (Cluster mode, where it cannot be in CAS_AOR's slot).
 * KEYS[1] = connection set; ARGV[1] = ttl ms; ARGV[2] = JSON [[members to remove], [members to add]].
 */
export const CONN_INDEX = `
local ops = cjson.decode(ARGV[2])
for _, m in ipairs(ops[1]) do redis.call('SREM', KEYS[1], m) end
if #ops[2] > 0 then
  for _, m in ipairs(ops[2]) do redis.call('SADD', KEYS[1], m) end
  local ttl = tonumber(ARGV[1])
  if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
end
return 1
`;

/**
 * Removes expiry-index members whose score is still at or below a time (a member re-added with a later expiry in
 * the meantime stays). KEYS[1] = expiry zset; ARGV[1] = now (epoch ms); ARGV[2..] = members. Returns how many.
 */
export const ZREM_EXPIRED = `
local n = 0
local now = tonumber(ARGV[1])
for i = 2, #ARGV do
  local s = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if s and tonumber(s) <= now then
    n = n + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return n
`;

/**
 * Digest nonce-count check. KEYS[1] = nonce record; ARGV[1] = nc; ARGV[2] = ttl ms.
 * Returns 1 (and records nc) when nc is above the stored count or there is none, else 0.
 */
export const ACCEPT_NC = `
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/**
 * Failure counter in a fixed window that starts at the first failure. KEYS[1] = counter; ARGV[1] = window ms.
 * Also repairs a counter left without TTL. Returns the count.
 */
export const RECORD_FAILURE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;

/**
 * A digest attempt in one step (RegistrationStore.settleDigest). KEYS[1] = the user's failure counter, KEYS[2] =
 * the source's failure counter, KEYS[3] = nonce-count record. ARGV[1] = max failures, ARGV[2] = window ms,
 * ARGV[3] = 'wrong' | 'stale' | 'right', ARGV[4] = nc, ARGV[5] = nonce-count ttl ms. Returns the verdict.
 */
export const SETTLE_DIGEST = `
local max = tonumber(ARGV[1])
local byUser = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local bySource = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if byUser >= max or bySource >= max then return 'throttled' end
if ARGV[3] == 'wrong' then
  for i = 1, 2 do
    local n = redis.call('INCR', KEYS[i])
    if n == 1 or redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
  end
  return 'failed'
end
if ARGV[3] == 'stale' then return 'stale' end
local cur = redis.call('GET', KEYS[3])
if cur and tonumber(cur) >= tonumber(ARGV[4]) then return 'replay' end
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
if byUser > 0 then redis.call('DEL', KEYS[1]) end
return 'accepted'
`;
