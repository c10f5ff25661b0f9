#include "nn/winograd_conv.h"

#include <immintrin.h>

#include <algorithm>

#include "nn/avx2_gemm.h"

namespace facet::nn {
namespace {

constexpr int kTiles = kWinogradTileBlock;
constexpr int kOut = 4;                // outputs per tile side
constexpr int kIn = 6;                 // input patch side: kOut + 2
constexpr int kPositions = kIn * kIn;  // transformed values per tile and channel

// A block of tiles: `count` tiles from tile (tile_y, tile_x) on, in row-major order (a block may
// continue on the next tile row).
struct TileBlock {
  int tile_y = 0, tile_x = 0, count = 0;
  int tiles_across = 0;
  // Tile t of the block: its row and column.
  int Row(int t) const { return tile_y + (tile_x + t) / tiles_across; }
  int Col(int t) const { return (tile_x + t) % tiles_across; }
};

// Lavin & Gray's F(4x4, 3x3) (interpolation points 0, +-1, +-2, infinity): V = B' d B for the
// 6x6 input patch d, Y = A' M A for the 6x6 products M, U = G g G' for the 3x3 weights g.
constexpr float kBt[kIn][kIn] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                                 {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
constexpr float kAt[kOut][kIn] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
constexpr double kG[kIn][3] = {{1.0 / 4, 0, 0},
                               {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                               {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                               {1.0 / 24, 1.0 / 12, 1.0 / 6},
                               {1.0 / 24, -1.0 / 12, 1.0 / 6},
                               {0, 0, 1}};

// ---- portable: the transforms as matrix products ----------------------------------------------

// V[k][t][c] = (B' d B)[k] for the patch d of every tile t of the block, channel c.
void InputTransformPortable(const float* x, int height, int width, int channels, const TileBlock& b,
                            float* v) {
  const size_t plane = static_cast<size_t>(kTiles) * channels;
  for (int t = 0; t < b.count; ++t) {
    const int y0 = kOut * b.Row(t) - 1, x0 = kOut * b.Col(t) - 1;
    for (int c = 0; c < channels; ++c) {
      float d[kIn][kIn];
      for (int i = 0; i < kIn; ++i) {
        for (int j = 0; j < kIn; ++j) {
          const int yy = y0 + i, xx = x0 + j;
          d[i][j] = yy < 0 || yy >= height || xx < 0 || xx >= width
                        ? 0.0f
                        : x[(static_cast<size_t>(yy) * width + xx) * channels + c];
        }
      }
      float r[kIn][kIn] = {};  // B' d
      for (int i = 0; i < kIn; ++i) {
        for (int k = 0; k < kIn; ++k) {
          for (int j = 0; j < kIn; ++j) r[i][j] += kBt[i][k] * d[k][j];
        }
      }
      for (int i = 0; i < kIn; ++i) {
        for (int j = 0; j < kIn; ++j) {
          float e = 0;
          for (int k = 0; k < kIn; ++k) e += r[i][k] * kBt[j][k];
          v[static_cast<size_t>(i * kIn + j) * plane + static_cast<size_t>(t) * channels + c] = e;
        }
      }
    }
  }
}

void MultiplyPortable(const float* v, const WinogradConvParams& p, int count, float* m) {
  const auto cin = static_cast<size_t>(p.in_channels), cout = static_cast<size_t>(p.out_channels);
  for (size_t k = 0; k < kPositions; ++k) {
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

// y (4x4 outputs per tile, clipped to the image) = A' M A + bias, clamped.
void OutputTransformPortable(const float* m, int height, int width, const WinogradConvParams& p,
                             const TileBlock& b, float* y) {
  const int channels = p.out_channels;
  const size_t plane = static_cast<size_t>(kTiles) * channels;
  for (int t = 0; t < b.count; ++t) {
    const int y0 = kOut * b.Row(t), x0 = kOut * b.Col(t);
    for (int c = 0; c < channels; ++c) {
      float s[kOut][kIn] = {};  // A' M
      for (int i = 0; i < kOut; ++i) {
        for (int k = 0; k < kIn; ++k) {
          for (int j = 0; j < kIn; ++j) {
            s[i][j] +=
                kAt[i][k] *
                m[static_cast<size_t>(k * kIn + j) * plane + static_cast<size_t>(t) * channels + c];
          }
        }
      }
      for (int i = 0; i < kOut && y0 + i < height; ++i) {
        for (int j = 0; j < kOut && x0 + j < width; ++j) {
          float e = p.bias[c];
          for (int k = 0; k < kIn; ++k) e += s[i][k] * kAt[j][k];
          y[(static_cast<size_t>(y0 + i) * width + x0 + j) * channels + c] =
              std::clamp(e, p.output_min, p.output_max);
        }
      }
    }
  }
}

// ---- AVX2 + FMA: the transforms written out, 8 channels at a time -----------------------------

// B' on one line of the patch.
FACET_AVX2 inline void InputLine(const __m256 (&d)[kIn], __m256 (&r)[kIn]) {
  const __m256 four = _mm256_set1_ps(4), five = _mm256_set1_ps(5), two = _mm256_set1_ps(2);
  r[0] = _mm256_add_ps(_mm256_fnmadd_ps(five, d[2], _mm256_mul_ps(four, d[0])), d[4]);
  r[1] = _mm256_fnmadd_ps(four, _mm256_add_ps(d[1], d[2]), _mm256_add_ps(d[3], d[4]));
  r[2] = _mm256_fmadd_ps(four, _mm256_sub_ps(d[1], d[2]), _mm256_sub_ps(d[4], d[3]));
  r[3] = _mm256_fmadd_ps(two, _mm256_sub_ps(d[3], d[1]), _mm256_sub_ps(d[4], d[2]));
  r[4] = _mm256_fmadd_ps(two, _mm256_sub_ps(d[1], d[3]), _mm256_sub_ps(d[4], d[2]));
  r[5] = _mm256_add_ps(_mm256_fnmadd_ps(five, d[3], _mm256_mul_ps(four, d[1])), d[5]);
}

// A' on one line of the products.
FACET_AVX2 inline void OutputLine(const __m256 (&m)[kIn], __m256 (&y)[kOut]) {
  const __m256 a = _mm256_add_ps(m[1], m[2]), b = _mm256_sub_ps(m[1], m[2]);
  const __m256 c = _mm256_add_ps(m[3], m[4]), d = _mm256_sub_ps(m[3], m[4]);
  y[0] = _mm256_add_ps(_mm256_add_ps(m[0], a), c);
  y[1] = _mm256_fmadd_ps(_mm256_set1_ps(2), d, b);
  y[2] = _mm256_fmadd_ps(_mm256_set1_ps(4), c, a);
  y[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8), d, b), m[5]);
}

FACET_AVX2 void InputTransformAvx2(const float* x, int height, int width, int channels,
                                   const TileBlock& b, float* v) {
  const size_t plane = static_cast<size_t>(kTiles) * channels;
  for (int t = 0; t < b.count; ++t) {
    const int y0 = kOut * b.Row(t) - 1, x0 = kOut * b.Col(t) - 1;
    const bool inside = y0 >= 0 && x0 >= 0 && y0 + kIn <= height && x0 + kIn <= width;
    for (int c = 0; c < channels; c += 8) {
      __m256 r[kIn][kIn];  // B' d, by columns
#pragma GCC unroll 6
      for (int j = 0; j < kIn; ++j) {
        __m256 column[kIn];
#pragma GCC unroll 6
        for (int i = 0; i < kIn; ++i) {
          const int yy = y0 + i, xx = x0 + j;
          column[i] =
              inside || (yy >= 0 && yy < height && xx >= 0 && xx < width)
                  ? _mm256_loadu_ps(x + (static_cast<size_t>(yy) * width + xx) * channels + c)
                  : _mm256_setzero_ps();
        }
        InputLine(column, r[j]);
      }
      float* o = v + static_cast<size_t>(t) * channels + c;
#pragma GCC unroll 6
      for (int i = 0; i < kIn; ++i) {
        __m256 line[kIn], out[kIn];
#pragma GCC unroll 6
        for (int j = 0; j < kIn; ++j) line[j] = r[j][i];
        InputLine(line, out);
#pragma GCC unroll 6
        for (int j = 0; j < kIn; ++j)
          _mm256_storeu_ps(o + static_cast<size_t>(i * kIn + j) * plane, out[j]);
      }
    }
  }
}

FACET_AVX2 void MultiplyAvx2(const float* v, const WinogradConvParams& p, int count, float* m) {
  const auto cin = static_cast<size_t>(p.in_channels), cout = static_cast<size_t>(p.out_channels);
  for (size_t k = 0; k < kPositions; ++k) {
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
    const int y0 = kOut * b.Row(t), x0 = kOut * b.Col(t);
    const float* in = m + static_cast<size_t>(t) * channels;
    for (int c = 0; c < channels; c += 8) {
      __m256 s[kIn][kOut];  // A' M, by columns
#pragma GCC unroll 6
      for (int j = 0; j < kIn; ++j) {
        __m256 column[kIn];
#pragma GCC unroll 6
        for (int i = 0; i < kIn; ++i)
          column[i] = _mm256_loadu_ps(in + static_cast<size_t>(i * kIn + j) * plane + c);
        OutputLine(column, s[j]);
      }
      const __m256 bias = _mm256_loadu_ps(p.bias + c);
#pragma GCC unroll 4
      for (int i = 0; i < kOut; ++i) {
        if (y0 + i >= height) break;
        __m256 line[kIn], out[kOut];
#pragma GCC unroll 6
        for (int j = 0; j < kIn; ++j) line[j] = s[j][i];
        OutputLine(line, out);
        float* dst = y + (static_cast<size_t>(y0 + i) * width + x0) * channels + c;
#pragma GCC unroll 4
        for (int j = 0; j < kOut; ++j) {
          if (x0 + j >= width) break;
          _mm256_storeu_ps(dst + static_cast<size_t>(j) * channels,
                           _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(out[j], bias), lo), hi));
        }
      }
    }
  }
}

}  // namespace

std::vector<float> WinogradTransformWeights(const float* ohwi, int in_channels, int out_channels) {
  const auto cin = static_cast<size_t>(in_channels), cout = static_cast<size_t>(out_channels);
  std::vector<float> u(kPositions * cin * cout);
  for (size_t co = 0; co < cout; ++co) {
    for (size_t ci = 0; ci < cin; ++ci) {
      double g[3][3];
      for (size_t i = 0; i < 9; ++i) g[i / 3][i % 3] = ohwi[(co * 9 + i) * cin + ci];
      double gg[kIn][3];  // G g
      for (int i = 0; i < kIn; ++i) {
        for (int j = 0; j < 3; ++j) {
          gg[i][j] = kG[i][0] * g[0][j] + kG[i][1] * g[1][j] + kG[i][2] * g[2][j];
        }
      }
      for (int i = 0; i < kIn; ++i) {  // (G g) G'
        for (int j = 0; j < kIn; ++j) {
          const double e = gg[i][0] * kG[j][0] + gg[i][1] * kG[j][1] + gg[i][2] * kG[j][2];
          u[(static_cast<size_t>(i * kIn + j) * cin + ci) * cout + co] = static_cast<float>(e);
        }
      }
    }
  }
  return u;
}

size_t WinogradScratch(int in_channels, int out_channels) {
  return kPositions * static_cast<size_t>(kTiles) * static_cast<size_t>(in_channels + out_channels);
}

bool WinogradUsesAvx2(const WinogradConvParams& p) {
  return p.in_channels % 8 == 0 && p.out_channels % 8 == 0 && avx2::CpuSupported();
}

int WinogradTileCount(int height, int width) {
  return ((height + kOut - 1) / kOut) * ((width + kOut - 1) / kOut);
}

void WinogradConv3x3(const float* x, int height, int width, const WinogradConvParams& p, float* y,
                     int tile_begin, int tile_end, float* scratch, bool portable) {
  const bool avx2 = !portable && WinogradUsesAvx2(p);
  float* v = scratch;
  float* m =
      scratch + kPositions * static_cast<size_t>(kTiles) * static_cast<size_t>(p.in_channels);
  const int tiles_across = (width + kOut - 1) / kOut;
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
