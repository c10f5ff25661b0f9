#include "index/neighbor_codes.h"

#include <faiss/IndexHNSW.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <vector>

#include "index/hnsw_build.h"

namespace facet::index {
namespace {

constexpr int kDim = 24;  // 4 subspaces of 6 dimensions, as 192-D has 32

std::vector<float> UnitVectors(size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> out(count * kDim);
  for (size_t i = 0; i < count; ++i) {
    float norm = 0;
    for (int j = 0; j < kDim; ++j) {
      out[i * kDim + j] = normal(rng);
      norm += out[i * kDim + j] * out[i * kDim + j];
    }
    for (int j = 0; j < kDim; ++j) out[i * kDim + j] /= std::sqrt(norm);
  }
  return out;
}

// Every block holds its node's current links, and each link's score read from the block is the
// score of that link's own code.
void ExpectBlocksMatch(const NeighborCodes& codes, const faiss::HNSW& hnsw, const float* query) {
  std::vector<uint8_t> lut;
  codes.PrepareQuery(query, &lut);
  ASSERT_EQ(codes.link_slots(), hnsw.nb_neighbors(0));
  std::vector<uint16_t> sums(static_cast<size_t>(codes.link_slots()) + kNibbleGroup);
  int checked = 0;
  for (size_t node = 0; node < hnsw.levels.size(); ++node) {
    size_t begin = 0;
    size_t end = 0;
    hnsw.neighbor_range(static_cast<faiss::HNSW::storage_idx_t>(node), 0, &begin, &end);
    const int32_t* links = codes.Links(static_cast<int>(node));
    int count = 0;
    for (size_t j = begin; j < end; ++j, ++count) {
      ASSERT_EQ(links[j - begin], hnsw.neighbors[j]) << "node " << node;
      if (hnsw.neighbors[j] < 0) break;
    }
    codes.ScoreLinks(DetectKernelIsa(), lut.data(), static_cast<int>(node), count, sums.data());
    for (int j = 0; j < count && links[j] >= 0; ++j, ++checked) {
      ASSERT_EQ(sums[j], codes.Score(lut.data(), links[j])) << "node " << node << " link " << j;
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(NeighborCodesTest, SubspacesDivideTheDimensions) {
  EXPECT_EQ(NeighborCodes::SubspacesFor(192), 32);
  EXPECT_EQ(NeighborCodes::SubspacesFor(512), 64);
  EXPECT_EQ(NeighborCodes::SubspacesFor(128), 16);
  EXPECT_EQ(NeighborCodes::SubspacesFor(kDim), 4);
  EXPECT_EQ(NeighborCodes::SubspacesFor(7), 1);
  EXPECT_EQ(NeighborCodes::SubspacesFor(4096), kMaxNibbleSubspaces);
}

TEST(NeighborCodesTest, BlocksFollowLinksAndCodesThroughAddsRecodingAndRestore) {
  const std::vector<float> data = UnitVectors(3000, 3);
  const std::vector<float> queries = UnitVectors(3, 4);
  faiss::IndexHNSWFlat index(kDim, 8, faiss::METRIC_INNER_PRODUCT);
  NeighborCodes codes;
  EXPECT_FALSE(codes.trained());
  EXPECT_FALSE(codes.Train(kDim, data.data(), 15).ok());
  const KernelIsa isa = DetectKernelIsa();
  ASSERT_FALSE(AddToGraph(&index, 1000, data.data(), isa).has_value());  // in parallel
  ASSERT_TRUE(codes.Train(kDim, data.data(), 1000).ok());
  EXPECT_EQ(codes.training_size(), 1000u);
  codes.Encode(0, data.data(), 1000);
  codes.Sync(index.hnsw, nullptr, {});
  ExpectBlocksMatch(codes, index.hnsw, queries.data());
  // Later adds re-link older nodes: their blocks must follow, whether found by comparing every
  // node's links (a batch added in parallel) or from the nodes AddToGraph reports (small ones).
  size_t first = 1000;
  for (size_t count : {1000, 1, 2, 40, 7, 100, 1, 849}) {
    const std::optional<std::vector<int>> relinked = AddToGraph(
        &index, static_cast<faiss::Index::idx_t>(count), data.data() + first * kDim, isa);
    EXPECT_EQ(relinked.has_value(), count <= 100) << count;
    codes.Encode(first, data.data() + first * kDim, count);
    codes.Sync(index.hnsw, relinked ? &*relinked : nullptr, {});
    ExpectBlocksMatch(codes, index.hnsw, queries.data() + kDim);
    first += count;
  }
  ASSERT_EQ(first, 3000u);
  // A vector re-coded in place (a removal codes the zero vector): every block linking to it.
  const std::vector<float> zero(kDim, 0.0f);
  std::vector<uint8_t> lut;
  codes.PrepareQuery(queries.data(), &lut);
  const int before = codes.Score(lut.data(), 7);
  codes.Encode(7, zero.data(), 1);
  const std::vector<int> recoded = {7};
  const std::vector<int> none;
  codes.Sync(index.hnsw, &none, recoded);
  ExpectBlocksMatch(codes, index.hnsw, queries.data());
  EXPECT_NE(codes.Score(lut.data(), 7), before);

  // The codebook round-trips; the codes follow from the vectors.
  std::vector<uint8_t> bytes;
  ByteWriter w(&bytes);
  codes.Serialize(&w);
  NeighborCodes copy;
  ByteReader r(bytes);
  ASSERT_TRUE(copy.Restore(kDim, &r));
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(copy.training_size(), 1000u);
  std::vector<float> current = data;
  std::copy(zero.begin(), zero.end(), current.begin() + 7 * kDim);
  copy.Encode(0, current.data(), 3000);
  copy.Sync(index.hnsw, nullptr, {});
  ExpectBlocksMatch(copy, index.hnsw, queries.data() + 2 * kDim);
  std::vector<uint8_t> copy_lut;
  copy.PrepareQuery(queries.data(), &copy_lut);
  EXPECT_EQ(copy_lut, lut);
  for (int node = 0; node < 3000; ++node) {
    ASSERT_EQ(copy.Score(copy_lut.data(), node), codes.Score(lut.data(), node));
  }
  // Damaged or foreign codebooks are refused.
  for (size_t keep : {size_t{0}, size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep));
    ByteReader cut_reader(cut);
    NeighborCodes damaged;
    EXPECT_FALSE(damaged.Restore(kDim, &cut_reader)) << keep << " bytes";
  }
  ByteReader other(bytes);
  EXPECT_FALSE(NeighborCodes().Restore(48, &other));
}

// The codes are coarse but must order vectors like their similarity does. For random unit
// vectors, 16 centroids per 6 dimensions keep ~60 % of each vector's variance: a correlation of
// ~0.75 (measured 0.72-0.76 here); a wrong nibble or table entry drops it towards 0.
TEST(NeighborCodesTest, ScoresFollowTheSimilarity) {
  const std::vector<float> data = UnitVectors(4000, 5);
  NeighborCodes codes;
  ASSERT_TRUE(codes.Train(kDim, data.data(), 4000).ok());
  codes.Encode(0, data.data(), 4000);
  const std::vector<float> queries = UnitVectors(5, 6);
  for (int q = 0; q < 5; ++q) {
    std::vector<uint8_t> lut;
    codes.PrepareQuery(queries.data() + q * kDim, &lut);
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (int i = 0; i < 4000; ++i) {
      double dot = 0;
      for (int j = 0; j < kDim; ++j) dot += double{queries[q * kDim + j]} * data[i * kDim + j];
      const double score = codes.Score(lut.data(), i);
      sx += dot, sy += score, sxx += dot * dot, syy += score * score, sxy += dot * score;
    }
    const double n = 4000;
    const double correlation =
        (sxy - sx * sy / n) / std::sqrt((sxx - sx * sx / n) * (syy - sy * sy / n));
    EXPECT_GT(correlation, 0.65) << "query " << q;
  }
  // A zero query scores everything alike.
  std::vector<uint8_t> lut;
  const std::vector<float> zero(kDim, 0.0f);
  codes.PrepareQuery(zero.data(), &lut);
  EXPECT_EQ(codes.Score(lut.data(), 0), 0);
  // So does a query that is not a number in one subspace (no NaN is cast to an integer).
  std::vector<float> broken(queries.begin(), queries.begin() + kDim);
  broken[3] = std::nanf("");
  codes.PrepareQuery(broken.data(), &lut);
  EXPECT_TRUE(std::all_of(lut.begin(), lut.end(), [](uint8_t v) { return v == 0; }));
}

}  // namespace
}  // namespace facet::index
