// Shards: several spsync processes (pods of a Kubernetes Indexed Job, or
// plain processes) split one config's work without talking to each other.
// Process i of n (`--shard i/n`, or `--shards n` with i from the Indexed
// Job's JOB_COMPLETION_INDEX) runs only the entities whose key hashes to
// shard i.
//
// The unit of work is the ENTITY with all its sinks: sinks of one entity
// share one read of SharePoint (see entity_sessions.hpp), so splitting them
// across processes would read the list once per process.
//
// The assignment is rendezvous (highest random weight) hashing: every shard
// s in [0, n) gets the weight RendezvousWeight(key, s) and the highest one
// owns the key. Every process computes the same answer from the key alone,
// and going from n to n+1 shards moves a key only when the new shard wins,
// i.e. about 1/(n+1) of the keys; none moves between the old shards.
//
// The hash is fixed and platform-independent, so shards built by different
// compilers or on different machines agree (never std::hash):
//   weight(key, s) = SplitMix64Mix(FNV-1a-64(EncodeShardKey(key) ++ le64(s)))
// with FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over
// the key's bytes followed by the shard number as 8 little-endian bytes, and
// SplitMix64's output function as a finaliser (FNV-1a alone mixes the last
// bytes, the shard number, poorly into the high bits that decide).
//
// Thread safety: everything here is a pure function or a value.
#pragma once

#include "spsync/engine/config.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spsync::cli {

// Which part of the work this process does: shard `index` of `count`.
// count == 1 is the whole config (no sharding).
struct ShardSpec {
  int index = 0;
  int count = 1;
  bool sharded() const { return count > 1; }
  std::string ToString() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// The most shards a process accepts: each key costs one hash per shard.
inline constexpr int kMaxShards = 10000;
// The environment variable a Kubernetes Indexed Job sets in each pod.
inline constexpr const char* kJobIndexEnv = "JOB_COMPLETION_INDEX";

// The shard from the command line: `shard_flag` is --shard's value ("i/n"),
// `shards_flag` is --shards' value ("n"), `job_index` is
// JOB_COMPLETION_INDEX's value (nullptr when unset; read only for --shards).
// Neither flag: the whole config. Throws UsageError (exit 2) naming the
// problem: both flags, a malformed value, i >= n, n < 1 or n > kMaxShards,
// --shards without JOB_COMPLETION_INDEX or with one that is not a number.
ShardSpec ParseShardOptions(const std::optional<std::string>& shard_flag,
                            const std::optional<std::string>& shards_flag, const char* job_index);

class Args;
// ParseShardOptions from a command's --shard / --shards and the process's
// JOB_COMPLETION_INDEX. The command must declare both flags as valued.
ShardSpec ShardFromArgs(const Args& args);

// What identifies a unit of work for sharding: the entity's site by its URL
// (so renaming a site's key in `sites`, or moving from `site` to `sites`,
// moves nothing) and the entity's name as the config (or the discovery
// rule that made it) spells it, without case folding. Renaming an entity
// may move it, which is harmless since its state lives in its sinks. A new
// field goes at the end of EncodeShardKey; adding one changes every key, so
// existing assignments move once.
struct ShardKey {
  std::string site;    // the site's URL (absolute, no trailing slash, as the config holds it)
  std::string entity;  // the entity's name
};

// The bytes hashed for `key`: each field as a netstring, "<length>:<bytes>,"
// with the length in decimal, in declaration order, so no two keys share an
// encoding whatever bytes the names hold. Example: {"https://x/sites/a",
// "orders"} -> "17:https://x/sites/a,6:orders,".
std::string EncodeShardKey(const ShardKey& key);

// The key of entity `entity` of site `site` (a key of config.sites).
ShardKey EntityShardKey(const engine::Config& config, const std::string& site,
                        const std::string& entity);
inline ShardKey EntityShardKey(const engine::Config& config, const engine::EntityEntry& entity) {
  return EntityShardKey(config, entity.site, entity.entity.name);
}

// FNV-1a 64 of `bytes`, continuing from `hash` (the offset basis by default).
uint64_t Fnv1a64(std::string_view bytes, uint64_t hash = 0xcbf29ce484222325ULL);
// SplitMix64's output for state `x`: (x + golden gamma), then its finaliser.
// SplitMix64Mix(0) == 0xe220a8397b1dcdaf, the generator's first output from seed 0.
uint64_t SplitMix64Mix(uint64_t x);
// The weight of `encoded_key` (EncodeShardKey's bytes) on shard `shard`.
uint64_t RendezvousWeight(std::string_view encoded_key, uint64_t shard);
// The shard in [0, count) that owns `encoded_key`: the highest weight; on a
// tie (never seen, but defined) the lowest shard number.
int ShardOf(std::string_view encoded_key, int count);
// Whether `spec` runs `key`. Always true for an unsharded spec.
bool InShard(const ShardSpec& spec, const ShardKey& key);

// This shard's share of the tenant's request budget (run.ruPerMinute is per
// app per tenant, and the n shards spend it together): 1/n. `spsync run`
// passes it to MakeRuntime, whose request budget scales run.ruPerMinute (or
// the limit SharePoint reports) by it.
double ShardBudgetShare(const ShardSpec& spec);

}  // namespace spsync::cli
