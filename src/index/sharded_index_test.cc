#include "index/sharded_index.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace facet::index {
namespace {

constexpr int kDim = 64;

std::vector<float> UnitRows(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> out(rows * kDim);
  for (size_t r = 0; r < rows; ++r) {
    float norm = 0;
    for (int j = 0; j < kDim; ++j) norm += std::pow(out[r * kDim + j] = normal(rng), 2.0f);
    for (int j = 0; j < kDim; ++j) out[r * kDim + j] /= std::sqrt(norm);
  }
  return out;
}

std::vector<int64_t> Iota(size_t n, int64_t first = 0) {
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = first + static_cast<int64_t>(i);
  return ids;
}

// Placement keys as the cluster design has them: one per person, shared by the person's faces.
std::vector<uint64_t> PersonKeys(size_t faces, size_t faces_per_person) {
  std::vector<uint64_t> keys(faces);
  for (size_t i = 0; i < faces; ++i) keys[i] = 1'000'003 * (i / faces_per_person) + 17;
  return keys;
}

ShardedIndex Exact(int shards, IndexKind kind = IndexKind::kExactF32) {
  std::vector<std::unique_ptr<VectorIndex>> parts;
  for (int s = 0; s < shards; ++s) parts.push_back(NewExactIndex(kDim, kind));
  auto index = ShardedIndex::Create(std::move(parts));
  EXPECT_TRUE(index.ok()) << index.status().ToString();
  return std::move(index).value();
}

TEST(ShardOfTest, StableInRangeAndEven) {
  EXPECT_EQ(ShardOf(12345, 1), 0);
  constexpr int kShards = 4;
  constexpr int kKeys = 100'000;
  std::vector<int> counts(kShards);
  for (uint64_t key = 0; key < kKeys; ++key) {
    const int s = ShardOf(key, kShards);
    ASSERT_GE(s, 0);
    ASSERT_LT(s, kShards);
    EXPECT_EQ(s, ShardOf(key, kShards));
    ++counts[static_cast<size_t>(s)];
  }
  // Sequential keys (the worst case for a plain modulo of a structured key) spread within 2 %.
  for (int c : counts) EXPECT_NEAR(c, kKeys / kShards, kKeys / kShards / 50);
  // Pinned values: where data lives must not move between versions. SplitMix64's first output
  // from seed 0 is 0xe220a8397b1dcdaf, which is 3 mod 4.
  EXPECT_EQ(ShardOf(0, 4), 3);
  EXPECT_EQ(ShardOf(0xdeadbeef, 7), 2);
  EXPECT_EQ(ShardOf(1, 1000), 465);
}

TEST(MergeShardHitsTest, BestKOverAllShardsTiesByLowerId) {
  std::vector<Result<std::vector<SearchHit>>> answers;
  answers.emplace_back(std::vector<SearchHit>{{5, 0.9f}, {7, 0.5f}});
  answers.emplace_back(std::vector<SearchHit>{{3, 0.7f}, {2, 0.5f}});
  answers.emplace_back(std::vector<SearchHit>{});
  auto merged = MergeShardHits(answers, 3);
  ASSERT_TRUE(merged.ok());
  ASSERT_EQ(merged->size(), 3u);
  EXPECT_EQ((*merged)[0].id, 5);
  EXPECT_EQ((*merged)[1].id, 3);
  EXPECT_EQ((*merged)[2].id, 2);  // 0.5 like id 7, lower id first
  auto all = MergeShardHits(answers, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4u);
  EXPECT_FALSE(MergeShardHits({}, 3).ok());
}

TEST(MergeShardHitsTest, OneShardMissingFailsTheWholeQuery) {
  std::vector<Result<std::vector<SearchHit>>> answers;
  answers.emplace_back(std::vector<SearchHit>{{5, 0.9f}});
  answers.emplace_back(Status::FailedPrecondition("no fresh replica"));
  answers.emplace_back(std::vector<SearchHit>{{3, 0.95f}});
  auto merged = MergeShardHits(answers, 5);
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(merged.status().message().find("shard 1 of 3"), std::string::npos);
  EXPECT_NE(merged.status().message().find("no fresh replica"), std::string::npos);
}

// The oracle property the cluster design relies on: exact search merged over any number of
// shards gives the unsharded answer, ids and similarities.
TEST(ShardedIndexTest, ExactShardsMergeToTheUnshardedAnswer) {
  constexpr size_t kRows = 3'000;
  const auto data = UnitRows(kRows, 1);
  const auto ids = Iota(kRows, 100);
  const auto keys = PersonKeys(kRows, 3);
  const auto queries = UnitRows(50, 2);
  auto whole = NewExactIndex(kDim, IndexKind::kExactF32);
  ASSERT_TRUE(whole->Add(ids, data).ok());
  for (int shards : {1, 2, 4, 7}) {
    SCOPED_TRACE(shards);
    ShardedIndex sharded = Exact(shards);
    ASSERT_TRUE(sharded.Add(ids, keys, data).ok());
    EXPECT_EQ(sharded.size(), kRows);
    for (int s = 0; s < shards && shards > 1; ++s) EXPECT_GT(sharded.shard(s).size(), 0u);
    std::vector<SearchHit> expected;
    for (size_t q = 0; q < 50; ++q) {
      const std::span<const float> query(queries.data() + q * kDim, kDim);
      whole->Search(query, 10, &expected);
      auto got = sharded.Search(query, 10);
      ASSERT_TRUE(got.ok());
      ASSERT_EQ(got->size(), expected.size());
      for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ((*got)[i].id, expected[i].id);
        EXPECT_FLOAT_EQ((*got)[i].similarity, expected[i].similarity);
      }
    }
  }
}

TEST(ShardedIndexTest, APersonsFacesShareAShardAndRemoveFindsThem) {
  constexpr size_t kRows = 400;
  const auto data = UnitRows(kRows, 3);
  const auto ids = Iota(kRows);
  const auto keys = PersonKeys(kRows, 4);
  ShardedIndex sharded = Exact(4);
  ASSERT_TRUE(sharded.Add(ids, keys, data).ok());
  for (size_t i = 0; i < kRows; ++i) {
    const int s = ShardOf(keys[i], 4);
    for (int other = 0; other < 4; ++other) {
      EXPECT_EQ(sharded.shard(other).Contains(ids[i]), other == s) << "face " << i;
    }
  }
  const std::vector<int64_t> person = {8, 9, 10, 11};  // faces of one person
  sharded.Remove(person);
  EXPECT_EQ(sharded.size(), kRows - 4);
  auto hits = sharded.Search(std::span<const float>(data.data() + 9 * kDim, kDim), 1);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_NE((*hits)[0].id, 9);
}

TEST(ShardedIndexTest, RejectsBadInputAndAddsNothing) {
  const auto data = UnitRows(4, 4);
  ShardedIndex sharded = Exact(2);
  const std::vector<int64_t> twice = {1, 2, 1, 3};
  EXPECT_FALSE(sharded.Add(twice, PersonKeys(4, 1), data).ok());
  EXPECT_FALSE(sharded.Add(Iota(4), PersonKeys(3, 1), data).ok());
  EXPECT_EQ(sharded.size(), 0u);
  ASSERT_TRUE(sharded.Add(Iota(4), PersonKeys(4, 1), data).ok());
  EXPECT_EQ(sharded.Add(Iota(1, 3), PersonKeys(1, 1), std::span(data).first(kDim)).code(),
            StatusCode::kInvalidArgument);  // id 3 is there already, whichever shard it is on
  EXPECT_EQ(sharded.size(), 4u);
  EXPECT_FALSE(sharded.Search(std::span(data).first(kDim - 1), 1).ok());

  std::vector<std::unique_ptr<VectorIndex>> none;
  EXPECT_FALSE(ShardedIndex::Create(std::move(none)).ok());
  std::vector<std::unique_ptr<VectorIndex>> mixed;
  mixed.push_back(NewExactIndex(kDim, IndexKind::kExactF32));
  mixed.push_back(NewExactIndex(kDim + 1, IndexKind::kExactF32));
  EXPECT_FALSE(ShardedIndex::Create(std::move(mixed)).ok());
}

// HNSW shards: each graph is smaller, and the merged top hit agrees with exact search.
TEST(ShardedIndexTest, HnswShardsAgreeWithExactSearch) {
  constexpr size_t kRows = 4'000;
  const auto data = UnitRows(kRows, 5);
  const auto ids = Iota(kRows);
  const auto keys = PersonKeys(kRows, 2);
  // Queries near stored rows, so the top hit is well defined.
  std::vector<float> queries(200 * kDim);
  std::mt19937_64 rng(6);
  std::normal_distribution<float> normal;
  for (size_t q = 0; q < 200; ++q) {
    float norm = 0;
    for (int j = 0; j < kDim; ++j) {
      const float x = data[q * 19 * kDim + j] + 0.08f * normal(rng);
      queries[q * kDim + j] = x;
      norm += x * x;
    }
    for (int j = 0; j < kDim; ++j) queries[q * kDim + j] /= std::sqrt(norm);
  }
  auto exact = NewExactIndex(kDim, IndexKind::kExactF32);
  ASSERT_TRUE(exact->Add(ids, data).ok());
  std::vector<std::unique_ptr<VectorIndex>> parts;
  for (int s = 0; s < 2; ++s) parts.push_back(std::move(NewHnswIndex(kDim, {}).value()));
  auto sharded = ShardedIndex::Create(std::move(parts));
  ASSERT_TRUE(sharded.ok());
  ASSERT_TRUE(sharded->Add(ids, keys, data).ok());
  sharded->SetEfSearch(64);
  int agree = 0;
  std::vector<SearchHit> expected;
  for (size_t q = 0; q < 200; ++q) {
    const std::span<const float> query(queries.data() + q * kDim, kDim);
    exact->Search(query, 1, &expected);
    auto got = sharded->Search(query, 5);
    ASSERT_TRUE(got.ok());
    ASSERT_FALSE(got->empty());
    agree += (*got)[0].id == expected[0].id;
  }
  EXPECT_GE(agree, 196);  // >= 98 %
}

}  // namespace
}  // namespace facet::index
