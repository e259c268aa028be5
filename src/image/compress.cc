#include "image/compress.h"

#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <algorithm>
#include <vector>

namespace skiff {

namespace {
constexpr size_t kOutChunk = 256 << 10;
constexpr size_t kGzipBlock = 1 << 20;  // ISA-L's input, always cut here

// ISA-L's level buffers: the "default" sizes igzip itself uses.
size_t isal_level_buffer(int level) {
  switch (level) {
    case 1:
      return ISAL_DEF_LVL1_DEFAULT;
    case 2:
      return ISAL_DEF_LVL2_DEFAULT;
    case 3:
      return ISAL_DEF_LVL3_DEFAULT;
    default:
      return 0;
  }
}
}  // namespace

CompressionLevels compression_levels(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return {0, 3, 3};
    case Compression::kZstd:
      return {1, 19, 3};
    case Compression::kNone:
    case Compression::kXz:  // never made: only read from users' archives
    case Compression::kBzip2:
      break;
  }
  return {0, 0, 0};
}

struct CompressingSink::State {
  Compression compression;
  isal_zstream gzip{};
  std::vector<uint8_t> level_buffer;
  std::vector<uint8_t> staged;  // gzip input not yet a whole block
  ZSTD_CStream* zstd = nullptr;
  std::vector<uint8_t> out = std::vector<uint8_t>(kOutChunk);
  ~State() {
    if (zstd) ZSTD_freeCStream(zstd);
  }
};

Result<std::unique_ptr<CompressingSink>> CompressingSink::create(Compression compression, int level,
                                                                 ByteSink& next) {
  CompressionLevels levels = compression_levels(compression);
  if (compression == Compression::kNone) return make_error("no compression to compress with");
  if (level < levels.min || level > levels.max)
    return make_error("{} compression levels are {} to {}, not {}", compression_name(compression), levels.min,
                      levels.max, level);
  auto state = std::make_unique<State>();
  state->compression = compression;
  if (compression == Compression::kGzip) {
    isal_deflate_init(&state->gzip);
    state->gzip.level = uint32_t(level);
    state->level_buffer.resize(isal_level_buffer(level));
    state->gzip.level_buf = state->level_buffer.empty() ? nullptr : state->level_buffer.data();
    state->gzip.level_buf_size = uint32_t(state->level_buffer.size());
    // A gzip member with ISA-L's default header: no name, time 0.
    state->gzip.gzip_flag = IGZIP_GZIP;
    state->gzip.flush = NO_FLUSH;
  } else {
    state->zstd = ZSTD_createCStream();
    if (!state->zstd) return make_error("zstd: out of memory");
    size_t r = ZSTD_CCtx_setParameter(state->zstd, ZSTD_c_compressionLevel, level);
    if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(state->zstd, ZSTD_c_checksumFlag, 1);
    if (ZSTD_isError(r)) return make_error("zstd: {}", ZSTD_getErrorName(r));
  }
  return std::unique_ptr<CompressingSink>(new CompressingSink(std::move(state), next));
}

CompressingSink::CompressingSink(std::unique_ptr<State> state, ByteSink& next)
    : state_(std::move(state)), next_(next) {}

CompressingSink::~CompressingSink() = default;

Status CompressingSink::write(std::span<const uint8_t> data) {
  State& s = *state_;
  if (s.compression != Compression::kGzip) return pump(data, false);
  while (!data.empty()) {
    size_t take = std::min(data.size(), kGzipBlock - s.staged.size());
    if (s.staged.empty() && take == kGzipBlock) {
      TRY(pump(data.first(take), false));  // a whole block as it is: no copy
    } else {
      s.staged.insert(s.staged.end(), data.begin(), data.begin() + take);
      if (s.staged.size() == kGzipBlock) {
        TRY(pump(s.staged, false));
        s.staged.clear();
      }
    }
    data = data.subspan(take);
  }
  return {};
}

Status CompressingSink::finish() {
  State& s = *state_;
  TRY(pump(s.staged, true));
  s.staged.clear();
  return next_.finish();
}

Status CompressingSink::pump(std::span<const uint8_t> data, bool end) {
  State& s = *state_;
  if (s.compression == Compression::kGzip) {
    isal_zstream& z = s.gzip;
    z.next_in = const_cast<uint8_t*>(data.data());
    z.avail_in = uint32_t(data.size());
    z.end_of_stream = end ? 1 : 0;
    // Until it took all the input (and, at the end, wrote its last byte).
    do {
      z.next_out = s.out.data();
      z.avail_out = uint32_t(s.out.size());
      if (int r = isal_deflate(&z); r != COMP_OK) return make_error("gzip: ISA-L's deflate failed ({})", r);
      size_t made = s.out.size() - z.avail_out;
      if (made > 0) TRY(next_.write({s.out.data(), made}));
    } while (z.avail_in > 0 || (end && z.internal_state.state != ZSTATE_END));
    return {};
  }
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  for (;;) {
    ZSTD_outBuffer out{s.out.data(), s.out.size(), 0};
    size_t left = ZSTD_compressStream2(s.zstd, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(left)) return make_error("zstd: {}", ZSTD_getErrorName(left));
    if (out.pos > 0) TRY(next_.write({s.out.data(), out.pos}));
    if (end ? left == 0 : in.pos == in.size) return {};
  }
}

}  // namespace skiff
