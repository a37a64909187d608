// The shard hash (engine/cli/shard.hpp): fixed values every process and
// platform must agree on, every entity in exactly one shard, few moves when
// a shard is added, and the command-line forms with their usage errors.
//
// The golden numbers come from the published FNV-1a and SplitMix64 test
// vectors and from an independent Python implementation of the documented
// formula (weight = SplitMix64Mix(FNV-1a-64(netstring key ++ le64(shard)))),
// not from this code: a change to the hash, which would silently reshuffle
// every deployment's shards, fails here.
#include "shard.hpp"
#include "args.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using spsync::cli::EncodeShardKey;
using spsync::cli::Fnv1a64;
using spsync::cli::InShard;
using spsync::cli::ParseShardOptions;
using spsync::cli::RendezvousWeight;
using spsync::cli::ShardBudgetShare;
using spsync::cli::ShardKey;
using spsync::cli::ShardOf;
using spsync::cli::ShardSpec;
using spsync::cli::SplitMix64Mix;
using spsync::cli::UsageError;

const char* kSite = "https://contoso.sharepoint.com/sites/sales";

// Entity names list-000, list-001, ...
std::vector<std::string> Names(int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) {
    std::string digits = std::to_string(i);
    names.push_back("list-" + std::string(digits.size() < 3 ? 3 - digits.size() : 0, '0') + digits);
  }
  return names;
}

std::vector<std::string> Keys(int n) {
  std::vector<std::string> keys;
  for (const auto& name : Names(n)) keys.push_back(EncodeShardKey(ShardKey{kSite, name}));
  return keys;
}

TEST(ShardHash, PublishedVectors) {
  // FNV-1a 64 (draft-eastlake-fnv test vectors).
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
  // Continuing a hash is hashing the concatenation.
  EXPECT_EQ(Fnv1a64("bar", Fnv1a64("foo")), Fnv1a64("foobar"));
  // SplitMix64 from seed 0: its first three outputs.
  EXPECT_EQ(SplitMix64Mix(0), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(SplitMix64Mix(0x9e3779b97f4a7c15ULL), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(SplitMix64Mix(0x3c6ef372fe94f82aULL), 0x06c45d188009454fULL);
}

TEST(ShardHash, KeyEncodingIsDocumentedAndUnambiguous) {
  EXPECT_EQ(EncodeShardKey(ShardKey{kSite, "orders"}),
            "42:https://contoso.sharepoint.com/sites/sales,6:orders,");
  EXPECT_EQ(EncodeShardKey(ShardKey{"https://x/sites/a", "orders"}),
            "17:https://x/sites/a,6:orders,");
  // Byte lengths, not characters: "注文" is 6 bytes of UTF-8.
  EXPECT_EQ(EncodeShardKey(ShardKey{"s", "注文"}), "1:s,6:注文,");
  // Names holding the separators cannot collide with other splits.
  EXPECT_NE(EncodeShardKey(ShardKey{"a,1:b", ""}), EncodeShardKey(ShardKey{"a", "b"}));
  EXPECT_NE(EncodeShardKey(ShardKey{"ab", "c"}), EncodeShardKey(ShardKey{"a", "bc"}));
  // As the config spells it: case matters.
  EXPECT_NE(EncodeShardKey(ShardKey{kSite, "Orders"}), EncodeShardKey(ShardKey{kSite, "orders"}));
}

TEST(ShardHash, GoldenWeightsAndAssignments) {
  std::string orders = EncodeShardKey(ShardKey{kSite, "orders"});
  EXPECT_EQ(RendezvousWeight(orders, 0), 0x8865ccac125b4a12ULL);
  EXPECT_EQ(RendezvousWeight(orders, 1), 0xbfa94f442f8f827bULL);
  EXPECT_EQ(RendezvousWeight(orders, 3), 0xa590885497f595c9ULL);
  struct Golden {
    const char* entity;
    std::vector<int> shards;  // for n = 2, 3, 4, 5, 8
  };
  for (const Golden& g : std::vector<Golden>{{"orders", {1, 1, 1, 1, 6}},
                                             {"tasks", {0, 0, 0, 0, 5}},
                                             {"注文", {0, 0, 0, 0, 0}},
                                             {"list-007", {1, 1, 1, 1, 1}}}) {
    std::string key = EncodeShardKey(ShardKey{kSite, g.entity});
    std::vector<int> got;
    for (int n : {2, 3, 4, 5, 8}) got.push_back(ShardOf(key, n));
    EXPECT_EQ(got, g.shards) << g.entity;
  }
  // The whole distribution of 200 names over 4 and 5 shards, and the first 16.
  auto keys = Keys(200);
  std::vector<int> per4(4), per5(5), first16;
  for (const auto& k : keys) {
    ++per4[ShardOf(k, 4)];
    ++per5[ShardOf(k, 5)];
  }
  for (int i = 0; i < 16; ++i) first16.push_back(ShardOf(keys[i], 4));
  EXPECT_EQ(per4, (std::vector<int>{59, 51, 50, 40}));
  EXPECT_EQ(per5, (std::vector<int>{48, 39, 38, 32, 43}));
  EXPECT_EQ(first16, (std::vector<int>{3, 3, 3, 1, 0, 0, 0, 1, 2, 1, 3, 2, 2, 3, 3, 3}));
}

TEST(ShardHash, EveryEntityInExactlyOneShardAndTheUnionIsAll) {
  auto names = Names(200);
  for (int n = 1; n <= 9; ++n) {
    std::set<std::string> covered;
    std::vector<int> per_shard(n);
    for (const auto& name : names) {
      int owners = 0;
      for (int s = 0; s < n; ++s) {
        if (InShard(ShardSpec{s, n}, ShardKey{kSite, name})) {
          ++owners;
          ++per_shard[s];
          covered.insert(name);
        }
      }
      EXPECT_EQ(owners, 1) << name << " over " << n << " shards";
    }
    EXPECT_EQ(covered.size(), names.size()) << n << " shards";
    // Spread: no shard idle or doing twice its share (200 keys, n <= 9).
    for (int s = 0; s < n; ++s) {
      EXPECT_GT(per_shard[s], 200 / n / 2) << "shard " << s << "/" << n;
      EXPECT_LT(per_shard[s], 200 / n * 2) << "shard " << s << "/" << n;
    }
  }
}

TEST(ShardHash, AddingAShardMovesAboutOneInNPlusOneAndOnlyToTheNewShard) {
  auto keys = Keys(200);
  for (int n = 1; n <= 8; ++n) {
    int moved = 0;
    for (const auto& k : keys) {
      int before = ShardOf(k, n), after = ShardOf(k, n + 1);
      if (before != after) {
        ++moved;
        // Rendezvous hashing: nothing moves between the old shards.
        EXPECT_EQ(after, n) << k << ": " << before << "/" << n << " -> " << after;
      }
    }
    if (n == 4) {
      EXPECT_LE(moved, 200 * 30 / 100) << "4 -> 5 shards: " << moved << " of 200 moved";
    }
    // About 1/(n+1) (200/(n+1) expected): at most twice that.
    EXPECT_LE(moved, 2 * 200 / (n + 1)) << n << " -> " << n + 1;
    EXPECT_GT(moved, 0) << n << " -> " << n + 1;
  }
}

TEST(ShardHash, BudgetShareIsOneOverN) {
  EXPECT_DOUBLE_EQ(ShardBudgetShare(ShardSpec{}), 1.0);
  EXPECT_DOUBLE_EQ(ShardBudgetShare(ShardSpec{2, 4}), 0.25);
  EXPECT_DOUBLE_EQ(ShardBudgetShare(ShardSpec{0, 5}), 0.2);
}

std::string UsageMessage(const std::optional<std::string>& shard,
                         const std::optional<std::string>& shards, const char* env) {
  try {
    ParseShardOptions(shard, shards, env);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(ShardOptions, AcceptedForms) {
  ShardSpec none = ParseShardOptions(std::nullopt, std::nullopt, "3");
  EXPECT_EQ(none.count, 1);
  EXPECT_FALSE(none.sharded());
  ShardSpec s = ParseShardOptions("2/4", std::nullopt, nullptr);
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 4);
  EXPECT_EQ(s.ToString(), "2/4");
  ShardSpec j = ParseShardOptions(std::nullopt, "4", "3");
  EXPECT_EQ(j.index, 3);
  EXPECT_EQ(j.count, 4);
  ShardSpec one = ParseShardOptions("0/1", std::nullopt, nullptr);
  EXPECT_FALSE(one.sharded());
}

TEST(ShardOptions, UsageErrorsNameTheProblem) {
  EXPECT_NE(UsageMessage("0/4", "4", "0").find("--shard and --shards exclude each other"),
            std::string::npos);
  for (const char* bad : {"4", "1/", "/4", "a/4", "1/b", "-1/4", "1/4/5", " 1/4", "+1/4", ""})
    EXPECT_NE(UsageMessage(bad, std::nullopt, nullptr).find("--shard must be i/n"),
              std::string::npos)
        << "'" << bad << "'";
  EXPECT_NE(UsageMessage("4/4", std::nullopt, nullptr).find("0-based and must be below 4"),
            std::string::npos);
  EXPECT_NE(UsageMessage("0/0", std::nullopt, nullptr).find("between 1 and 10000"),
            std::string::npos);
  EXPECT_NE(UsageMessage("0/10001", std::nullopt, nullptr).find("between 1 and 10000"),
            std::string::npos);
  EXPECT_NE(UsageMessage("0/99999999999999", std::nullopt, nullptr).find("--shard must be i/n"),
            std::string::npos);
  EXPECT_NE(UsageMessage(std::nullopt, "4", nullptr).find("JOB_COMPLETION_INDEX"),
            std::string::npos);
  EXPECT_NE(UsageMessage(std::nullopt, "4", nullptr).find("not set"), std::string::npos);
  EXPECT_NE(UsageMessage(std::nullopt, "4", "").find("is not a shard index"), std::string::npos);
  EXPECT_NE(UsageMessage(std::nullopt, "4", "two").find("JOB_COMPLETION_INDEX='two'"),
            std::string::npos);
  EXPECT_NE(UsageMessage(std::nullopt, "4", "-1").find("is not a shard index"), std::string::npos);
  EXPECT_NE(UsageMessage(std::nullopt, "4", "4").find("out of range for --shards 4 (0 to 3)"),
            std::string::npos);
  EXPECT_NE(UsageMessage(std::nullopt, "x", "0").find("--shards must be a whole number"),
            std::string::npos);
  EXPECT_NE(UsageMessage(std::nullopt, "0", "0").find("between 1 and 10000"), std::string::npos);
}

}  // namespace
