#include "shard.hpp"

#include "args.hpp"

#include <charconv>
#include <cstdlib>

namespace spsync::cli {

namespace {

constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

// A whole decimal number of digits only (no sign, no spaces), or nullopt.
std::optional<int> ParseCount(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

void CheckCount(int count, const std::string& flag) {
  if (count < 1 || count > kMaxShards)
    throw UsageError(flag + ": the number of shards must be between 1 and " +
                     std::to_string(kMaxShards) + ", not " + std::to_string(count));
}

void AppendNetstring(std::string* out, std::string_view field) {
  *out += std::to_string(field.size());
  *out += ':';
  out->append(field.data(), field.size());
  *out += ',';
}

}  // namespace

ShardSpec ParseShardOptions(const std::optional<std::string>& shard_flag,
                            const std::optional<std::string>& shards_flag, const char* job_index) {
  if (shard_flag && shards_flag)
    throw UsageError(
        "--shard and --shards exclude each other (--shard i/n names the shard; --shards n takes "
        "it from JOB_COMPLETION_INDEX)");
  ShardSpec spec;
  if (shard_flag) {
    const std::string& v = *shard_flag;
    auto slash = v.find('/');
    auto index = slash == std::string::npos ? std::nullopt : ParseCount(v.substr(0, slash));
    auto count = slash == std::string::npos ? std::nullopt : ParseCount(v.substr(slash + 1));
    if (!index || !count)
      throw UsageError("--shard must be i/n with 0 <= i < n, e.g. --shard 0/4, not '" + v + "'");
    CheckCount(*count, "--shard " + v);
    if (*index >= *count)
      throw UsageError("--shard " + v + ": the shard index is 0-based and must be below " +
                       std::to_string(*count));
    spec.index = *index;
    spec.count = *count;
  } else if (shards_flag) {
    auto count = ParseCount(*shards_flag);
    if (!count)
      throw UsageError("--shards must be a whole number of shards, not '" + *shards_flag + "'");
    CheckCount(*count, "--shards " + *shards_flag);
    if (job_index == nullptr)
      throw UsageError(std::string("--shards ") + *shards_flag +
                       " takes this process's shard from " + kJobIndexEnv +
                       " (set by a Kubernetes Indexed Job), which is not set; outside Kubernetes "
                       "use --shard i/n");
    auto index = ParseCount(job_index);
    if (!index)
      throw UsageError(std::string(kJobIndexEnv) + "='" + job_index +
                       "' is not a shard index (a whole number from 0)");
    if (*index >= *count)
      throw UsageError(std::string(kJobIndexEnv) + "=" + job_index +
                       " is out of range for --shards " + *shards_flag + " (0 to " +
                       std::to_string(*count - 1) + "); the Job's completions must equal --shards");
    spec.index = *index;
    spec.count = *count;
  }
  return spec;
}

ShardSpec ShardFromArgs(const Args& args) {
  auto flag = [&args](const char* name) -> std::optional<std::string> {
    if (!args.Has(name)) return std::nullopt;
    if (args.All(name).size() > 1) throw UsageError(std::string(name) + " may be given once");
    return args.Get(name);
  };
  return ParseShardOptions(flag("--shard"), flag("--shards"), std::getenv(kJobIndexEnv));
}

std::string EncodeShardKey(const ShardKey& key) {
  std::string out;
  AppendNetstring(&out, key.site);
  AppendNetstring(&out, key.entity);
  return out;
}

ShardKey EntityShardKey(const engine::Config& config, const std::string& site,
                        const std::string& entity) {
  auto it = config.sites.find(site);
  // A site the config does not name (a Config built by hand): its name.
  return ShardKey{it == config.sites.end() ? site : it->second.url, entity};
}

uint64_t Fnv1a64(std::string_view bytes, uint64_t hash) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= kFnvPrime;
  }
  return hash;
}

uint64_t SplitMix64Mix(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t RendezvousWeight(std::string_view encoded_key, uint64_t shard) {
  // The shard number as 8 little-endian bytes, whatever the host's order.
  char le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<char>((shard >> (8 * i)) & 0xff);
  return SplitMix64Mix(Fnv1a64(std::string_view(le, 8), Fnv1a64(encoded_key)));
}

int ShardOf(std::string_view encoded_key, int count) {
  int best = 0;
  uint64_t best_weight = RendezvousWeight(encoded_key, 0);
  for (int s = 1; s < count; ++s) {
    uint64_t w = RendezvousWeight(encoded_key, static_cast<uint64_t>(s));
    if (w > best_weight) {
      best = s;
      best_weight = w;
    }
  }
  return best;
}

bool InShard(const ShardSpec& spec, const ShardKey& key) {
  return !spec.sharded() || ShardOf(EncodeShardKey(key), spec.count) == spec.index;
}

double ShardBudgetShare(const ShardSpec& spec) {
  return 1.0 / spec.count;
}

}  // namespace spsync::cli
