#include "image/stream.h"

#include <bzlib.h>
#include <isa-l/igzip_lib.h>
#include <lzma.h>
#include <unistd.h>
#include <zstd.h>

#include <cstring>
#include <utility>
#include <vector>

namespace skiff {

Status DigestingSink::write(std::span<const uint8_t> data) {
  hash_.update(data.data(), data.size());
  size_ += data.size();
  return next_.write(data);
}

const char* compression_name(Compression c) {
  switch (c) {
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
    case Compression::kXz: return "xz";
    case Compression::kBzip2: return "bzip2";
    case Compression::kNone: return "none";
  }
  return "none";
}

struct InflatingSink::State {
  struct inflate_state gzip;
  ZSTD_DCtx* zstd = nullptr;
  bool gzip_member_done = false;
  bool gzip_trailing = false;  // past the last member: the rest is ignored
  size_t zstd_last = 1;  // ZSTD_decompressStream's last answer: 0 = frame complete
  lzma_stream xz = LZMA_STREAM_INIT;
  bool xz_started = false;
  bz_stream bz{};
  bool bz_started = false;
  bool bz_stream_done = false;  // between two concatenated streams, or at the end
  bool bz_trailing = false;     // past the last stream: the rest is ignored, as bzip2 -d does
  // What goes to `next` is gathered here and passed on in whole buffers:
  // a registry's body arrives in 16 KiB pieces, and passing each piece's
  // output on made a pipe write, and an extractor wake-up and read, per
  // piece (5,700 for a 95 MB layer instead of 200).
  std::vector<uint8_t> out = std::vector<uint8_t>(1 << 20);
  size_t out_used = 0;
  ~State() {
    if (zstd) ZSTD_freeDCtx(zstd);
    if (xz_started) lzma_end(&xz);
    if (bz_started) BZ2_bzDecompressEnd(&bz);
  }
};

InflatingSink::InflatingSink(ByteSink& next) : next_(next) {}
InflatingSink::~InflatingSink() = default;

namespace {
constexpr size_t kMagicBytes = 6;
// What liblzma may allocate for an xz stream: xz -9 needs 65 MiB; a hostile
// header asking for a 1.5 GiB dictionary is refused rather than obeyed.
constexpr uint64_t kXzMemoryLimit = 512ull << 20;
bool starts_with(std::string_view data, std::initializer_list<uint8_t> magic) {
  if (data.size() < magic.size()) return false;
  size_t i = 0;
  for (uint8_t b : magic)
    if (uint8_t(data[i++]) != b) return false;
  return true;
}
}  // namespace

Status InflatingSink::detect_and_start() {
  detected_ = true;
  state_ = std::make_unique<State>();
  if (starts_with(head_, {0x1f, 0x8b})) {
    compression_ = Compression::kGzip;
    isal_inflate_init(&state_->gzip);
    state_->gzip.crc_flag = ISAL_GZIP;
  } else if (starts_with(head_, {0x28, 0xb5, 0x2f, 0xfd})) {
    compression_ = Compression::kZstd;
    state_->zstd = ZSTD_createDCtx();
    if (!state_->zstd) return make_error("zstd: out of memory");
  } else if (starts_with(head_, {0xfd, '7', 'z', 'X', 'Z', 0x00})) {
    compression_ = Compression::kXz;
    if (lzma_stream_decoder(&state_->xz, kXzMemoryLimit, LZMA_CONCATENATED) != LZMA_OK)
      return make_error("xz: out of memory");
    state_->xz_started = true;
  } else if (starts_with(head_, {'B', 'Z', 'h'})) {
    compression_ = Compression::kBzip2;
    if (BZ2_bzDecompressInit(&state_->bz, 0, 0) != BZ_OK) return make_error("bzip2: out of memory");
    state_->bz_started = true;
  }
  std::string head = std::move(head_);
  head_.clear();
  return inflate({reinterpret_cast<const uint8_t*>(head.data()), head.size()});
}

Status InflatingSink::write(std::span<const uint8_t> data) {
  if (!detected_) {
    size_t take = std::min(data.size(), kMagicBytes - head_.size());
    head_.append(reinterpret_cast<const char*>(data.data()), take);
    data = data.subspan(take);
    if (head_.size() < kMagicBytes) return {};
    TRY(detect_and_start());
  }
  return inflate(data);
}

Status InflatingSink::flush_out() {
  size_t used = std::exchange(state_->out_used, 0);
  if (used == 0) return {};
  return next_.write({state_->out.data(), used});
}

Status InflatingSink::inflate(std::span<const uint8_t> data) {
  if (data.empty()) return {};
  switch (compression_) {
    case Compression::kNone: {
      auto& out = state_->out;
      // Whole buffers' worth pass on as they are; smaller pieces are gathered.
      if (state_->out_used == 0 && data.size() >= out.size()) return next_.write(data);
      while (!data.empty()) {
        size_t take = std::min(data.size(), out.size() - state_->out_used);
        std::memcpy(out.data() + state_->out_used, data.data(), take);
        state_->out_used += take;
        data = data.subspan(take);
        if (state_->out_used == out.size()) TRY(flush_out());
      }
      return {};
    }
    case Compression::kGzip: {
      auto& s = state_->gzip;
      s.next_in = const_cast<uint8_t*>(data.data());
      s.avail_in = uint32_t(data.size());
      while (s.avail_in > 0 && !state_->gzip_trailing) {
        if (state_->gzip_member_done) {
          // After a member: another one (pigz, concatenated files), or
          // padding and junk that gzip -d ignores too.
          if (*s.next_in != 0x1f) {
            state_->gzip_trailing = true;
            break;
          }
          isal_inflate_reset(&s);
          s.crc_flag = ISAL_GZIP;
          state_->gzip_member_done = false;
        }
        uint32_t in_before = s.avail_in;
        size_t produced = TRY(gzip_step());
        if (!state_->gzip_member_done && produced == 0 && s.avail_in == in_before)
          return make_error("gzip: corrupt data (no progress)");
      }
      return {};
    }
    case Compression::kZstd: {
      ZSTD_inBuffer in{data.data(), data.size(), 0};
      while (in.pos < in.size) {
        ZSTD_outBuffer out{state_->out.data(), state_->out.size(), state_->out_used};
        size_t r = ZSTD_decompressStream(state_->zstd, &out, &in);
        if (ZSTD_isError(r)) return make_error("zstd: {}", ZSTD_getErrorName(r));
        state_->zstd_last = r;
        state_->out_used = out.pos;
        if (state_->out_used == state_->out.size()) TRY(flush_out());
      }
      return {};
    }
    case Compression::kXz:
      return xz_inflate(data, false);
    case Compression::kBzip2:
      return bzip2_inflate(data, false);
  }
  return {};
}

Status InflatingSink::xz_inflate(std::span<const uint8_t> data, bool last) {
  lzma_stream& s = state_->xz;
  s.next_in = data.data();
  s.avail_in = data.size();
  for (;;) {
    if (state_->out_used == state_->out.size()) TRY(flush_out());
    size_t room = state_->out.size() - state_->out_used;
    s.next_out = state_->out.data() + state_->out_used;
    s.avail_out = room;
    // With LZMA_CONCATENATED the end comes only once LZMA_FINISH says the
    // input is all there: a stream may follow another.
    lzma_ret r = lzma_code(&s, last ? LZMA_FINISH : LZMA_RUN);
    state_->out_used += room - s.avail_out;
    switch (r) {
      case LZMA_STREAM_END: return {};
      case LZMA_OK: break;
      case LZMA_BUF_ERROR: return make_error("xz: unexpected end of data (truncated file?)");
      case LZMA_MEMLIMIT_ERROR:
        return make_error("xz: the stream needs more than {} MiB of memory to unpack", kXzMemoryLimit >> 20);
      case LZMA_MEM_ERROR: return make_error("xz: out of memory");
      default: return make_error("xz: corrupt data (liblzma error {})", int(r));
    }
    if (!last && s.avail_in == 0 && s.avail_out != 0) return {};
  }
}

Status InflatingSink::bzip2_inflate(std::span<const uint8_t> data, bool last) {
  State& st = *state_;
  bz_stream& s = st.bz;
  while (!data.empty() || last) {
    if (st.bz_trailing) return {};
    // libbz2 counts in unsigned int: a larger piece goes in slices.
    size_t slice = std::min<size_t>(data.size(), 1u << 30);
    s.next_in = const_cast<char*>(reinterpret_cast<const char*>(data.data()));
    s.avail_in = unsigned(slice);
    for (;;) {
      if (st.bz_stream_done) {
        if (s.avail_in == 0) break;
        // Another stream (pbzip2, concatenated files), or junk that
        // bzip2 -d ignores too.
        if (*s.next_in != 'B') {
          st.bz_trailing = true;
          return {};
        }
        char* next_in = s.next_in;
        unsigned avail_in = s.avail_in;
        BZ2_bzDecompressEnd(&s);
        s = bz_stream{};
        if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK) {
          st.bz_started = false;
          return make_error("bzip2: out of memory");
        }
        s.next_in = next_in;
        s.avail_in = avail_in;
        st.bz_stream_done = false;
      }
      if (st.out_used == st.out.size()) TRY(flush_out());
      size_t room = st.out.size() - st.out_used;
      s.next_out = reinterpret_cast<char*>(st.out.data() + st.out_used);
      s.avail_out = unsigned(room);
      int r = BZ2_bzDecompress(&s);
      st.out_used += room - s.avail_out;
      if (r == BZ_STREAM_END) {
        st.bz_stream_done = true;
        continue;
      }
      if (r != BZ_OK) return make_error("bzip2: corrupt data (libbz2 error {})", r);
      if (s.avail_in == 0 && s.avail_out != 0) {
        if (last) return make_error("bzip2: unexpected end of data (truncated file?)");
        break;
      }
    }
    data = data.subspan(slice);
    if (last) return {};
  }
  return {};
}

Result<size_t> InflatingSink::gzip_step() {
  auto& s = state_->gzip;
  if (state_->out_used == state_->out.size()) TRY(flush_out());
  size_t room = state_->out.size() - state_->out_used;
  s.next_out = state_->out.data() + state_->out_used;
  s.avail_out = uint32_t(room);
  int r = isal_inflate(&s);
  if (r != ISAL_DECOMP_OK) return make_error("gzip: corrupt data (igzip error {})", r);
  size_t produced = room - s.avail_out;
  state_->out_used += produced;
  if (state_->out_used == state_->out.size()) TRY(flush_out());
  if (s.block_state == ISAL_BLOCK_FINISH) state_->gzip_member_done = true;
  return produced;
}

Status InflatingSink::finish() {
  if (!detected_) TRY(detect_and_start());
  if (compression_ == Compression::kGzip) {
    // Drain what igzip still holds, then insist on the end of the member.
    for (int i = 0; i < 64 && !state_->gzip_member_done; i++)
      if (TRY(gzip_step()) == 0 && !state_->gzip_member_done) break;
    if (!state_->gzip_member_done) return make_error("gzip: unexpected end of data (truncated file?)");
    TRY(flush_out());
  } else if (compression_ == Compression::kXz) {
    TRY(xz_inflate({}, true));
  } else if (compression_ == Compression::kBzip2) {
    TRY(bzip2_inflate({}, true));
  } else if (compression_ == Compression::kZstd) {
    while (state_->zstd_last != 0) {
      TRY(flush_out());
      ZSTD_inBuffer in{nullptr, 0, 0};
      ZSTD_outBuffer out{state_->out.data(), state_->out.size(), 0};
      size_t r = ZSTD_decompressStream(state_->zstd, &out, &in);
      if (ZSTD_isError(r)) return make_error("zstd: {}", ZSTD_getErrorName(r));
      if (out.pos == 0) return make_error("zstd: unexpected end of data (truncated file?)");
      state_->zstd_last = r;
      state_->out_used = out.pos;
    }
  }
  TRY(flush_out());
  return next_.finish();
}

Status FdSink::write(std::span<const uint8_t> data) {
  if (reader_gone_) return {};
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) {
        reader_gone_ = true;
        return {};
      }
      return errno_error("write to extractor");
    }
    data = data.subspan(n);
  }
  return {};
}

Status pump_fd(int fd, ByteSink& sink, const std::string& what) {
  std::vector<uint8_t> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read {}", what);
    }
    if (n == 0) break;
    TRY(sink.write({buf.data(), size_t(n)}));
  }
  return sink.finish();
}

}  // namespace skiff
