#include "nn/winograd_conv.h"

#include <immintrin.h>

#include <algorithm>

#include "nn/avx2_gemm.h"

namespace facet::nn {
namespace {

constexpr int kTiles = kWinogradTileBlock;

// A block of tiles: `count` tiles from tile (tile_y, tile_x) on, in row-major order (a block may
// continue on the next tile row).
struct TileBlock {
  int tile_y = 0, tile_x = 0, count = 0;
  int tiles_across = 0;
  // Tile t of the block: its row and column.
  int Row(int t) const { return tile_y + (tile_x + t) / tiles_across; }
  int Col(int t) const { return (tile_x + t) % tiles_across; }
};

// The 4x4 input patch of tile (ty, tx) starts at row 2 ty - 1, column 2 tx - 1 (padding 1).
bool PatchInside(int height, int width, int ty, int tx) {
  return 2 * ty - 1 >= 0 && 2 * tx - 1 >= 0 && 2 * ty + 2 < height && 2 * tx + 2 < width;
}

// ---- portable ----------------------------------------------------------------------------------

// V[k][t][c] = (B' d B)[k] of tile t's patch d, channel c.
void InputTransformPortable(const float* x, int height, int width, int channels, const TileBlock& b,
                            float* v) {
  for (int t = 0; t < b.count; ++t) {
    const int y0 = 2 * b.Row(t) - 1, x0 = 2 * b.Col(t) - 1;
    for (int c = 0; c < channels; ++c) {
      float d[4][4];
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
          const int yy = y0 + i, xx = x0 + j;
          d[i][j] = yy < 0 || yy >= height || xx < 0 || xx >= width
                        ? 0.0f
                        : x[(static_cast<size_t>(yy) * width + xx) * channels + c];
        }
      }
      float r[4][4];  // B' d
      for (int j = 0; j < 4; ++j) {
        r[0][j] = d[0][j] - d[2][j];
        r[1][j] = d[1][j] + d[2][j];
        r[2][j] = d[2][j] - d[1][j];
        r[3][j] = d[1][j] - d[3][j];
      }
      for (int i = 0; i < 4; ++i) {  // (B' d) B
        const float out[4] = {r[i][0] - r[i][2], r[i][1] + r[i][2], r[i][2] - r[i][1],
                              r[i][1] - r[i][3]};
        for (int j = 0; j < 4; ++j)
          v[(static_cast<size_t>(i * 4 + j) * kTiles + t) * channels + c] = out[j];
      }
    }
  }
}

void MultiplyPortable(const float* v, const WinogradConvParams& p, int count, float* m) {
  const auto cin = static_cast<size_t>(p.in_channels), cout = static_cast<size_t>(p.out_channels);
  for (size_t k = 0; k < 16; ++k) {
    const float* vk = v + k * kTiles * cin;
    const float* uk = p.weights + k * cin * cout;
    float* mk = m + k * kTiles * cout;
    for (int t = 0; t < count; ++t) {
      float* row = mk + static_cast<size_t>(t) * cout;
      std::fill(row, row + cout, 0.0f);
      for (size_t ci = 0; ci < cin; ++ci) {
        const float a = vk[static_cast<size_t>(t) * cin + ci];
        const float* u = uk + ci * cout;
        for (size_t co = 0; co < cout; ++co) row[co] += a * u[co];
      }
    }
  }
}

// y (2x2 outputs per tile, clipped to the image) = A' M A + bias, clamped.
void OutputTransformPortable(const float* m, int height, int width, const WinogradConvParams& p,
                             const TileBlock& b, float* y) {
  const int channels = p.out_channels;
  for (int t = 0; t < b.count; ++t) {
    const int y0 = 2 * b.Row(t), x0 = 2 * b.Col(t);
    for (int c = 0; c < channels; ++c) {
      float q[4][4];
      for (int k = 0; k < 16; ++k)
        q[k / 4][k % 4] = m[(static_cast<size_t>(k) * kTiles + t) * channels + c];
      float s[2][4];  // A' M
      for (int j = 0; j < 4; ++j) {
        s[0][j] = q[0][j] + q[1][j] + q[2][j];
        s[1][j] = q[1][j] - q[2][j] - q[3][j];
      }
      for (int i = 0; i < 2; ++i) {
        const float out[2] = {s[i][0] + s[i][1] + s[i][2], s[i][1] - s[i][2] - s[i][3]};
        for (int j = 0; j < 2; ++j) {
          if (y0 + i >= height || x0 + j >= width) continue;
          y[(static_cast<size_t>(y0 + i) * width + x0 + j) * channels + c] =
              std::clamp(out[j] + p.bias[c], p.output_min, p.output_max);
        }
      }
    }
  }
}

// ---- AVX2 + FMA --------------------------------------------------------------------------------

FACET_AVX2 void InputTransformAvx2(const float* x, int height, int width, int channels,
                                   const TileBlock& b, float* v) {
  const size_t row = static_cast<size_t>(width) * channels;
  const size_t plane = static_cast<size_t>(kTiles) * channels;
  for (int t = 0; t < b.count; ++t) {
    const int ty = b.Row(t), tx = b.Col(t);
    const int y0 = 2 * ty - 1, x0 = 2 * tx - 1;
    const bool inside = PatchInside(height, width, ty, tx);
    const float* patch = x + static_cast<ptrdiff_t>(y0) * static_cast<ptrdiff_t>(row) +
                         static_cast<ptrdiff_t>(x0) * channels;
    float* out = v + static_cast<size_t>(t) * channels;
    for (int c = 0; c < channels; c += 8) {
      __m256 d[4][4];
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) {
          const bool valid =
              inside || (y0 + i >= 0 && y0 + i < height && x0 + j >= 0 && x0 + j < width);
          d[i][j] = valid ? _mm256_loadu_ps(
                                patch + static_cast<ptrdiff_t>(i) * static_cast<ptrdiff_t>(row) +
                                j * channels + c)
                          : _mm256_setzero_ps();
        }
      }
      __m256 r[4][4];
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        r[0][j] = _mm256_sub_ps(d[0][j], d[2][j]);
        r[1][j] = _mm256_add_ps(d[1][j], d[2][j]);
        r[2][j] = _mm256_sub_ps(d[2][j], d[1][j]);
        r[3][j] = _mm256_sub_ps(d[1][j], d[3][j]);
      }
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        float* o = out + static_cast<size_t>(i * 4) * plane + c;
        _mm256_storeu_ps(o, _mm256_sub_ps(r[i][0], r[i][2]));
        _mm256_storeu_ps(o + plane, _mm256_add_ps(r[i][1], r[i][2]));
        _mm256_storeu_ps(o + 2 * plane, _mm256_sub_ps(r[i][2], r[i][1]));
        _mm256_storeu_ps(o + 3 * plane, _mm256_sub_ps(r[i][1], r[i][3]));
      }
    }
  }
}

FACET_AVX2 void MultiplyAvx2(const float* v, const WinogradConvParams& p, int count, float* m) {
  const auto cin = static_cast<size_t>(p.in_channels), cout = static_cast<size_t>(p.out_channels);
  for (size_t k = 0; k < 16; ++k) {
    avx2::GemmArgs g;
    g.a = v + k * kTiles * cin;
    g.lda = cin;
    g.b = p.weights + k * cin * cout;
    g.ldb = cout;
    g.depth = p.in_channels;
    g.c = m + k * kTiles * cout;
    g.ldc = cout;
    avx2::Gemm(g, count, p.out_channels);
  }
}

FACET_AVX2 void OutputTransformAvx2(const float* m, int height, int width,
                                    const WinogradConvParams& p, const TileBlock& b, float* y) {
  const int channels = p.out_channels;
  const size_t plane = static_cast<size_t>(kTiles) * channels;
  const __m256 lo = _mm256_set1_ps(p.output_min), hi = _mm256_set1_ps(p.output_max);
  for (int t = 0; t < b.count; ++t) {
    const int y0 = 2 * b.Row(t), x0 = 2 * b.Col(t);
    const bool full = y0 + 1 < height && x0 + 1 < width;
    const float* in = m + static_cast<size_t>(t) * channels;
    for (int c = 0; c < channels; c += 8) {
      __m256 q[4][4];
#pragma GCC unroll 16
      for (int k = 0; k < 16; ++k) q[k / 4][k % 4] = _mm256_loadu_ps(in + k * plane + c);
      __m256 s[2][4];
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        s[0][j] = _mm256_add_ps(_mm256_add_ps(q[0][j], q[1][j]), q[2][j]);
        s[1][j] = _mm256_sub_ps(_mm256_sub_ps(q[1][j], q[2][j]), q[3][j]);
      }
      const __m256 bias = _mm256_loadu_ps(p.bias + c);
#pragma GCC unroll 2
      for (int i = 0; i < 2; ++i) {
        const __m256 out[2] = {
            _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[i][0], s[i][1]), s[i][2]), bias),
            _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s[i][1], s[i][2]), s[i][3]), bias)};
#pragma GCC unroll 2
        for (int j = 0; j < 2; ++j) {
          if (!full && (y0 + i >= height || x0 + j >= width)) continue;
          _mm256_storeu_ps(y + (static_cast<size_t>(y0 + i) * width + x0 + j) * channels + c,
                           _mm256_min_ps(_mm256_max_ps(out[j], lo), hi));
        }
      }
    }
  }
}

bool HasAvx2Fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

}  // namespace

std::vector<float> WinogradTransformWeights(const float* ohwi, int in_channels, int out_channels) {
  const auto cin = static_cast<size_t>(in_channels), cout = static_cast<size_t>(out_channels);
  std::vector<float> u(16 * cin * cout);
  static constexpr double kG[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  for (size_t co = 0; co < cout; ++co) {
    for (size_t ci = 0; ci < cin; ++ci) {
      double g[3][3];
      for (size_t i = 0; i < 9; ++i) g[i / 3][i % 3] = ohwi[(co * 9 + i) * cin + ci];
      double gg[4][3];  // G g
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 3; ++j)
          gg[i][j] = kG[i][0] * g[0][j] + kG[i][1] * g[1][j] + kG[i][2] * g[2][j];
      }
      for (int i = 0; i < 4; ++i) {  // (G g) G'
        for (int j = 0; j < 4; ++j) {
          const double e = gg[i][0] * kG[j][0] + gg[i][1] * kG[j][1] + gg[i][2] * kG[j][2];
          u[(static_cast<size_t>(i * 4 + j) * cin + ci) * cout + co] = static_cast<float>(e);
        }
      }
    }
  }
  return u;
}

size_t WinogradScratch(int in_channels, int out_channels) {
  return 16 * static_cast<size_t>(kTiles) * static_cast<size_t>(in_channels + out_channels);
}

bool WinogradUsesAvx2(const WinogradConvParams& p) {
  return p.in_channels % 8 == 0 && p.out_channels % 8 == 0 && HasAvx2Fma();
}

int WinogradTileCount(int height, int width) { return ((height + 1) / 2) * ((width + 1) / 2); }

void WinogradConv3x3(const float* x, int height, int width, const WinogradConvParams& p, float* y,
                     int tile_begin, int tile_end, float* scratch, bool portable) {
  const bool avx2 = !portable && WinogradUsesAvx2(p);
  float* v = scratch;
  float* m = scratch + 16 * static_cast<size_t>(kTiles) * static_cast<size_t>(p.in_channels);
  const int tiles_across = (width + 1) / 2;
  for (int first = tile_begin; first < tile_end; first += kTiles) {
    const TileBlock b{first / tiles_across, first % tiles_across,
                      std::min(kTiles, tile_end - first), tiles_across};
    if (avx2) {
      InputTransformAvx2(x, height, width, p.in_channels, b, v);
      MultiplyAvx2(v, p, b.count, m);
      OutputTransformAvx2(m, height, width, p, b, y);
    } else {
      InputTransformPortable(x, height, width, p.in_channels, b, v);
      MultiplyPortable(v, p, b.count, m);
      OutputTransformPortable(m, height, width, p, b, y);
    }
  }
}

}  // namespace facet::nn
