/**
 * The Lua scripts of the rate limit shared through Redis: defined on the connection (redis-connection.ts),
 * run by RedisCallLimiter (redis-limiter.ts).
 */

/**
 * The shared limit is a sorted set per App Key, one entry per call, scored on the Redis server clock
 * (every process reads the same one). It has the semantics of the in-process RateLimiter: an entry
 * counts while its call is in flight, and until one window after its request reached the gateway
 * at the latest (see ArrivalBound; a call never sent counts from its end). So whatever the connection
 * set-up of each process, no one-second window at the gateway holds more than `limit` calls: the last
 * call to be admitted among any `limit + 1` found the other `limit` in flight or arrived less than a
 * window ago.
 *
 * While in flight an entry is scored with a provisional expiry (acquire time + maxCallMs); the
 * release rewrites the score to its send time (ZADD XX: an entry that expired meanwhile is not
 * brought back). So a process that dies with calls in flight blocks their slots for maxCallMs plus a
 * window, not forever.
 *
 * Not rate-limiter-flexible's RateLimiterRedis: its Redis script is a fixed window started by the
 * first call (N calls at the end of one window and N at the start of the next land within
 * milliseconds: twice the limit in one second), and even with a replacement script
 * (customIncrTtlLuaScript) its consume() counts anonymous points: it can neither tell the script
 * which entry a release must finish nor hand back the entry it took. Both scripts run here as
 * commands of the limiter's own ioredis client (EVALSHA, loaded on first use).
 *
 * ACQUIRE KEYS: [1] the set; ARGV: [1] limit, [2] window ms, [3] max call ms.
 * Answer: {1, entry} when admitted, {0, ms to wait} when not: until the oldest finished entry leaves
 * the window, or a whole window when every entry is in flight (none can free a slot sooner).
 */
export const ACQUIRE_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local maxCallMs = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - windowMs)
if redis.call('ZCARD', key) >= limit then
  local oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
  return {0, math.max(1, math.min(oldest, now) + windowMs - now)}
end
local entry = t[1] .. string.format('%06d', tonumber(t[2]))
local suffix = 0
while redis.call('ZSCORE', key, entry .. '-' .. suffix) do suffix = suffix + 1 end
entry = entry .. '-' .. suffix
redis.call('ZADD', key, now + maxCallMs, entry)
if redis.call('PTTL', key) < maxCallMs + windowMs then redis.call('PEXPIRE', key, maxCallMs + windowMs) end
return {1, entry}
`;

/**
 * RELEASE KEYS: [1] the set; ARGV: [1] window ms, then pairs of an entry and how many ms before now
 * its request reached the gateway at the latest (0 for a call never sent). The entries finish.
 */
export const RELEASE_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local key = KEYS[1]
local windowMs = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local finished = 0
for i = 2, #ARGV, 2 do finished = finished + redis.call('ZADD', key, 'XX', 'CH', now - tonumber(ARGV[i + 1]), ARGV[i]) end
if finished > 0 and redis.call('PTTL', key) < windowMs then redis.call('PEXPIRE', key, windowMs) end
return finished
`;
