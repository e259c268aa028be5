#include "image/tar_recipe.h"

#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "image/layer_extract.h"

namespace skiff {

namespace {

constexpr std::string_view kMagic = "skiff-tar-recipe-1\n";
constexpr size_t kBlock = 512;
constexpr size_t kMaxRawStep = 1 << 20;      // a raw step is written out at this size
constexpr size_t kMaxSpecialBody = 1 << 20;  // libarchive refuses longer pax and long-name bodies
constexpr int kMaxSpecialHeaders = 32;       // libarchive's limit of headers per entry

// ---- numbers in tar headers, read as libarchive's tar_atol does ----

int64_t parse_base_n(const char* p, size_t n, int base) {
  int64_t limit = INT64_MAX / base, last = INT64_MAX % base;
  while (n && (*p == ' ' || *p == '\t')) p++, n--;
  bool negative = false;
  if (n && *p == '-') {
    negative = true;
    limit = -(INT64_MIN / base);
    last = -(INT64_MIN % base);
    p++, n--;
  }
  int64_t value = 0;
  while (n) {
    int digit = *p - '0';
    if (digit < 0 || digit >= base) break;
    if (value > limit || (value == limit && digit >= last)) return negative ? INT64_MIN : INT64_MAX;
    value = value * base + digit;
    p++, n--;
  }
  return negative ? -value : value;
}

int64_t parse_base256(const char* field, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(field);
  unsigned char c = *p, neg;
  uint64_t value;
  if (c & 0x40) {
    neg = 0xff;
    c |= 0x80;
    value = ~uint64_t(0);
  } else {
    neg = 0;
    c &= 0x7f;
    value = 0;
  }
  while (n > sizeof(int64_t)) {
    --n;
    if (c != neg) return neg ? INT64_MIN : INT64_MAX;
    c = *++p;
  }
  if ((c ^ neg) & 0x80) return neg ? INT64_MIN : INT64_MAX;
  while (--n > 0) {
    value = (value << 8) | c;
    c = *++p;
  }
  return int64_t((value << 8) | c);
}

// A numeric header field: octal, or base-256 when its high bit is set.
int64_t parse_number(const char* field, size_t n) {
  if (*field & 0x80) return parse_base256(field, n);
  return parse_base_n(field, n, 8);
}

std::string field_string(const char* field, size_t n) { return std::string(field, strnlen(field, n)); }

bool all_zero(const uint8_t* block) {
  for (size_t i = 0; i < kBlock; i++)
    if (block[i]) return false;
  return true;
}

// libarchive's test: the checksum field holds octal digits, and matches the
// sum of the block's bytes taken unsigned, or signed (old BSD tars).
bool checksum_ok(const uint8_t* h) {
  for (size_t i = 148; i < 156; i++) {
    char c = char(h[i]);
    if (c != ' ' && c != '\0' && (c < '0' || c > '7')) return false;
  }
  int64_t sum = parse_number(reinterpret_cast<const char*>(h) + 148, 8);
  int64_t check_unsigned = 0, check_signed = 0;
  for (size_t i = 0; i < kBlock; i++) {
    bool in_field = i >= 148 && i < 156;
    check_unsigned += in_field ? 32 : h[i];
    check_signed += in_field ? 32 : static_cast<signed char>(h[i]);
  }
  return sum == check_unsigned || sum == check_signed;
}

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += char(uint8_t(value) | 0x80);
    value >>= 7;
  }
  out += char(value);
}

// Offsets in a header block.
constexpr size_t kSizeField = 124, kTypeflag = 156, kMagicField = 257, kPrefixField = 345;
constexpr size_t kGnuSparse = 386, kGnuIsExtended = 482, kGnuRealsize = 483, kGnuExtIsExtended = 504;

}  // namespace

// ---- the recorder ----

struct TarRecipeRecorder::State {
  // The recipe being written: ops are built in `plain`, compressed and written out.
  UniqueFd fd;
  ZSTD_CCtx* cctx = nullptr;
  std::string plain;
  std::string raw;  // raw bytes not yet in an 'R' op
  std::vector<uint8_t> out = std::vector<uint8_t>(ZSTD_CStreamOutSize());
  Status failed;
  uint64_t total = 0;
  BodyListDigest bodies;
  std::optional<std::string> bodies_digest;
  std::string gave_up;

  // The parser.
  enum class Mode { kHeader, kGnuExtension, kSpecialBody, kBody, kPadding, kTrailer };
  Mode mode = Mode::kHeader;
  uint8_t block[kBlock];
  size_t block_used = 0;
  uint64_t remaining = 0;  // of the body, special body or padding
  bool skipping = false;   // the body is referenced, not copied
  char special_type = 0;
  uint64_t special_size = 0;
  std::string special;
  // The special headers before an entry. libarchive reads each kind into
  // one buffer, so only the last 'x' records and the last 'L' name count;
  // and it applies them from the entry's own header outward, so of the two
  // kinds the one that came first has the last word on the name.
  int specials = 0;
  std::optional<std::string> pax;        // the last 'x' records
  std::optional<std::string> long_name;  // the last 'L' name
  char first_namer = 0;                  // 'x' or 'L', whichever came first
  bool long_link = false;                // a 'K' came
  // libarchive's idea of the archive format, which decides whether a hard
  // link's size counts; it sticks across entries.
  enum class Format { kUnknown, kOld, kUstar, kGnu, kPax };
  Format format = Format::kUnknown;
  // The entry whose GNU sparse extension blocks are being read.
  uint64_t pending_body = 0;
  uint64_t pending_padding = 0;

  ~State() {
    if (cctx) ZSTD_freeCCtx(cctx);
  }

  // -- the recipe --

  void compress(ZSTD_EndDirective end) {
    if (!failed.ok()) return;
    ZSTD_inBuffer in{plain.data(), plain.size(), 0};
    for (;;) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      size_t left = ZSTD_compressStream2(cctx, &o, &in, end);
      if (ZSTD_isError(left)) {
        failed = make_error("compress the tar recipe: {}", ZSTD_getErrorName(left));
        return;
      }
      for (size_t done = 0; done < o.pos;) {
        ssize_t n = ::write(fd.get(), out.data() + done, o.pos - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          failed = errno_error("write the tar recipe");
          return;
        }
        done += size_t(n);
      }
      bool done = end == ZSTD_e_end ? left == 0 : in.pos == in.size;
      if (done) break;
    }
    plain.clear();
  }

  void flush_raw() {
    if (raw.empty()) return;
    plain += 'R';
    put_varint(plain, raw.size());
    plain += raw;
    raw.clear();
    if (plain.size() >= kMaxRawStep) compress(ZSTD_e_continue);
  }

  void emit_raw(const uint8_t* data, size_t n) {
    while (n > 0) {
      size_t take = std::min(n, kMaxRawStep - raw.size());
      raw.append(reinterpret_cast<const char*>(data), take);
      data += take;
      n -= take;
      if (raw.size() >= kMaxRawStep) flush_raw();
    }
  }

  void emit_body(const std::string& rel, uint64_t size) {
    flush_raw();
    plain += 'F';
    put_varint(plain, size);
    put_varint(plain, rel.size());
    plain += rel;
    bodies.add(rel, size);
    if (plain.size() >= kMaxRawStep) compress(ZSTD_e_continue);
  }

  // -- the parser --

  void give_up(std::string why) {
    if (gave_up.empty()) gave_up = std::move(why);
    mode = Mode::kTrailer;
  }

  void reset_entry() {
    specials = 0;
    pax.reset();
    long_name.reset();
    first_namer = 0;
    long_link = false;
  }

  void feed(const uint8_t* data, size_t n) {
    total += n;
    while (n > 0) {
      switch (mode) {
        case Mode::kTrailer:
          emit_raw(data, n);
          return;
        case Mode::kHeader:
        case Mode::kGnuExtension: {
          size_t take = std::min(n, kBlock - block_used);
          std::memcpy(block + block_used, data, take);
          emit_raw(data, take);
          block_used += take;
          data += take;
          n -= take;
          if (block_used == kBlock) {
            block_used = 0;
            if (mode == Mode::kHeader)
              header_block();
            else
              gnu_extension_block();
          }
          break;
        }
        case Mode::kSpecialBody: {
          size_t take = size_t(std::min<uint64_t>(n, remaining));
          size_t keep = std::min(take, size_t(special_size) - special.size());
          special.append(reinterpret_cast<const char*>(data), keep);
          emit_raw(data, take);
          remaining -= take;
          data += take;
          n -= take;
          if (remaining == 0) special_done();
          break;
        }
        case Mode::kBody:
        case Mode::kPadding: {
          size_t take = size_t(std::min<uint64_t>(n, remaining));
          if (!(mode == Mode::kBody && skipping)) emit_raw(data, take);
          remaining -= take;
          data += take;
          n -= take;
          if (remaining == 0) {
            if (mode == Mode::kBody)
              start_padding();
            else
              mode = Mode::kHeader;
          }
          break;
        }
      }
    }
  }

  void start_padding() {
    mode = pending_padding ? Mode::kPadding : Mode::kHeader;
    remaining = pending_padding;
  }

  void header_block() {
    // One all-zero block ends the archive for libarchive; whatever follows
    // (the second end block, a writer's record padding) is raw.
    if (all_zero(block)) return give_up("");
    if (!checksum_ok(block)) return give_up("a header with a bad checksum");
    if (++specials > kMaxSpecialHeaders) return give_up("too many special headers");
    char type = char(block[kTypeflag]);
    switch (type) {
      case 'x':
      case 'X':
      case 'g':
      case 'A':
        format = Format::kPax;
        [[fallthrough]];
      case 'L':
      case 'K': {
        int64_t size = parse_number(reinterpret_cast<const char*>(block) + kSizeField, 12);
        if (size < 0 || uint64_t(size) > kMaxSpecialBody) return give_up("a special header too large");
        special_type = type;
        special_size = uint64_t(size);
        special.clear();
        remaining = (special_size + kBlock - 1) / kBlock * kBlock;
        mode = remaining ? Mode::kSpecialBody : Mode::kHeader;
        if (!remaining) special_done();
        return;
      }
      case 'V':  // a GNU volume label: no body, the entry's header follows
        return;
      default:
        return entry_header(type);
    }
  }

  void special_done() {
    mode = Mode::kHeader;
    switch (special_type) {
      case 'L':
        // The name ends at its first NUL (libarchive copies it as a C string).
        long_name = special.substr(0, strnlen(special.data(), special.size()));
        if (!first_namer) first_namer = 'L';
        return;
      case 'K':
        long_link = true;
        return;
      case 'x':
      case 'X':
        pax = special;
        if (!first_namer) first_namer = 'x';
        return;
      default:  // 'g' is read and ignored, 'A' holds ACLs
        return;
    }
  }

  // What an entry's pax records say that matters here.
  struct PaxFacts {
    std::optional<std::string> path;
    std::optional<int64_t> size;
    bool link = false;
    bool sparse = false;
  };

  // Pax records, read as libarchive's pax_header() does: anything it would
  // stop at (leaving attributes unapplied) stops the parser too.
  std::optional<PaxFacts> pax_records(std::string_view rest) {
    PaxFacts facts;
    auto malformed = [&]() -> std::optional<PaxFacts> {
      give_up("malformed pax records");
      return std::nullopt;
    };
    while (!rest.empty()) {
      size_t length = 0, i = 0;
      for (; i < rest.size() && rest[i] != ' '; i++) {
        if (rest[i] < '0' || rest[i] > '9') return malformed();
        length = length * 10 + size_t(rest[i] - '0');
        if (length > 999999) return malformed();
      }
      if (i == rest.size() || length > rest.size() || length < i + 2 || rest[length - 1] != '\n')
        return malformed();
      std::string_view line = rest.substr(i + 1, length - i - 2);
      rest.remove_prefix(length);
      size_t eq = line.find('=');
      if (eq == 0 || eq == std::string_view::npos) return malformed();
      std::string_view key = line.substr(0, eq);
      if (key.find('\0') != std::string_view::npos) return malformed();
      std::string_view value = line.substr(eq + 1);
      std::string text(
          value.substr(0, strnlen(value.data(), value.size())));  // C string, as libarchive uses it
      if (key == "path") {
        facts.path = text;  // the last one; an empty one leaves the name alone
      } else if (key == "size") {
        int64_t size = parse_base_n(text.data(), text.size(), 10);
        if (size < 0 || size == INT64_MAX) {
          give_up("a pax size out of range");
          return std::nullopt;
        }
        facts.size = size;
      } else if (key == "linkpath") {
        facts.link = !text.empty();
      } else if (key.starts_with("GNU.sparse") || key == "SCHILY.realsize" || key == "SUN.holesdata") {
        facts.sparse = true;
      }
    }
    if (facts.path && facts.path->empty()) facts.path.reset();
    return facts;
  }

  void entry_header(char type) {
    const char* h = reinterpret_cast<const char*>(block);
    bool gnu = std::memcmp(h + kMagicField, "ustar  \0", 8) == 0;
    bool ustar = !gnu && std::memcmp(h + kMagicField, "ustar", 5) == 0;
    if (gnu)
      format = Format::kGnu;
    else if (ustar)
      format = format == Format::kPax ? Format::kPax : Format::kUstar;
    else
      format = Format::kOld;

    std::string name = field_string(h, 100);
    if (ustar && h[kPrefixField]) {
      std::string prefix = field_string(h + kPrefixField, 155);
      name = prefix + (prefix.back() == '/' ? "" : "/") + name;
    }
    PaxFacts facts;
    if (pax) {
      auto parsed = pax_records(*pax);
      if (!parsed) return;
      facts = std::move(*parsed);
    }
    if (first_namer == 'x' && facts.path)
      name = *facts.path;
    else if (long_name)
      name = *long_name;
    else if (facts.path)
      name = *facts.path;
    bool has_link = long_link || facts.link;
    bool sparse = facts.sparse;

    int64_t header_size = parse_number(h + kSizeField, 12);
    if (header_size < 0 || header_size == INT64_MAX) return give_up("a size out of range");
    // The body's length as libarchive's header_common decides it.
    uint64_t body = uint64_t(header_size);
    bool regular = true;  // what libarchive calls AE_IFREG, before the trailing-slash rule
    switch (type) {
      case '1':
        regular = header_size > 0;  // "a hard link with data", which pax allows
        if (format != Format::kPax) body = 0;
        break;
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
        regular = false;
        body = 0;
        break;
      case 'D':
      case 'M':
        regular = false;
        break;
      default:
        break;
    }
    if (facts.size) body = uint64_t(*facts.size);
    if (gnu && (h[kGnuSparse] != 0 || h[kGnuRealsize] != 0)) sparse = true;
    bool folder_name = !name.empty() && name.back() == '/';
    uint64_t padding = (kBlock - body % kBlock) % kBlock;
    if (regular && folder_name) body = padding = 0;  // "a regular file named like a folder is one"

    bool reference = body > 0 && regular && type != '1' && !has_link && !sparse && !folder_name;
    std::string rel;
    if (reference) {
      auto entry = layer_entry_name(name);
      if (!entry.ok()) return give_up("a name outside the root");
      reference = entry->kind == LayerEntryKind::kPlain;
      rel = std::move(entry->rel);
    }
    bool extended = gnu && h[kGnuSparse] != 0 && h[kGnuIsExtended] != 0;
    reset_entry();
    pending_body = body;
    pending_padding = padding;
    skipping = reference;
    if (reference) emit_body(rel, body);
    if (extended) {
      mode = Mode::kGnuExtension;
      return;
    }
    start_body();
  }

  void gnu_extension_block() {
    if (block[kGnuExtIsExtended] != 0) return;  // another one follows
    start_body();
  }

  void start_body() {
    remaining = pending_body;
    if (remaining)
      mode = Mode::kBody;
    else
      start_padding();
  }
};

TarRecipeRecorder::TarRecipeRecorder(UniqueFd recipe_fd, ByteSink& next)
    : state_(std::make_unique<State>()), next_(next) {
  State& s = *state_;
  s.fd = std::move(recipe_fd);
  s.cctx = ZSTD_createCCtx();
  if (!s.cctx) {
    s.failed = make_error("zstd: out of memory");
    return;
  }
  // Level 3 (zstd's default) squeezes tar headers about tenfold at several
  // hundred MB/s; the headers are a small part of a layer's bytes.
  ZSTD_CCtx_setParameter(s.cctx, ZSTD_c_compressionLevel, 3);
  s.plain = kMagic;
}

TarRecipeRecorder::~TarRecipeRecorder() = default;

Status TarRecipeRecorder::write(std::span<const uint8_t> data) {
  State& s = *state_;
  s.feed(data.data(), data.size());
  if (!s.failed.ok()) return s.failed;
  return next_.write(data);
}

Status TarRecipeRecorder::finish() {
  State& s = *state_;
  if (s.mode != State::Mode::kTrailer && s.mode != State::Mode::kHeader)
    s.give_up("the tar ends inside an entry");
  if (s.mode == State::Mode::kHeader && s.block_used) s.give_up("the tar ends inside a header");
  s.flush_raw();
  s.plain += 'E';
  put_varint(s.plain, s.total);
  // No fsync, as for the layer's files: a recipe a crash damaged fails the
  // digest check of its replay, it never passes for a good one.
  s.compress(ZSTD_e_end);
  s.fd.reset();
  s.bodies_digest = s.bodies.hex();
  if (!s.failed.ok()) return s.failed;
  return next_.finish();
}

uint64_t TarRecipeRecorder::bodies() const { return state_->bodies.count(); }
std::string TarRecipeRecorder::bodies_digest() const { return state_->bodies_digest.value_or(""); }
const std::string& TarRecipeRecorder::gave_up() const { return state_->gave_up; }

// ---- the reader ----

struct TarRecipeReader::State {
  int fd;
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  std::vector<uint8_t> in = std::vector<uint8_t>(ZSTD_DStreamInSize());
  size_t in_pos = 0, in_end = 0;
  bool file_done = false;
  bool frame_done = false;
  // Decompressed bytes not consumed yet: buf[pos, end).
  std::vector<uint8_t> buf = std::vector<uint8_t>(kMaxRawStep + ZSTD_DStreamOutSize());
  size_t pos = 0, end = 0;
  bool started = false;
  uint64_t raw_left = 0;  // of the current 'R' op
  uint64_t bodies = 0;
  uint64_t total = 0;
  bool ended = false;

  ~State() {
    if (dctx) ZSTD_freeDCtx(dctx);
  }

  // Makes at least `want` bytes available in buf[pos, end) (fewer only at
  // the end of the recipe).
  Status fill(size_t want) {
    if (end - pos >= want) return {};
    if (pos > 0) {
      std::memmove(buf.data(), buf.data() + pos, end - pos);
      end -= pos;
      pos = 0;
    }
    while (end < want && !frame_done) {
      if (in_pos == in_end && !file_done) {
        ssize_t n = ::read(fd, in.data(), in.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error("read the tar recipe");
        in_pos = 0;
        in_end = size_t(n);
        if (n == 0) file_done = true;
      }
      ZSTD_inBuffer zin{in.data(), in_end, in_pos};
      ZSTD_outBuffer zout{buf.data(), buf.size(), end};
      size_t r = ZSTD_decompressStream(dctx, &zout, &zin);
      if (ZSTD_isError(r)) return make_error("the tar recipe is damaged: {}", ZSTD_getErrorName(r));
      in_pos = zin.pos;
      end = zout.pos;
      if (r == 0)
        frame_done = true;
      else if (file_done && in_pos == in_end && zout.pos < zout.size)
        return make_error("the tar recipe is truncated");
    }
    return {};
  }

  Result<uint64_t> varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      TRY(fill(1));
      if (pos == end) return make_error("the tar recipe is truncated");
      uint8_t b = buf[pos++];
      value |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return value;
    }
    return make_error("the tar recipe is damaged: a number too long");
  }
};

TarRecipeReader::TarRecipeReader(int fd) : state_(std::make_unique<State>()) { state_->fd = fd; }
TarRecipeReader::~TarRecipeReader() = default;

Result<RecipeStep> TarRecipeReader::next() {
  State& s = *state_;
  if (!s.dctx) return make_error("zstd: out of memory");
  RecipeStep step;
  if (s.ended) {
    step.size = s.total;
    return step;
  }
  if (!s.started) {
    TRY(s.fill(kMagic.size()));
    if (s.end - s.pos < kMagic.size() || std::memcmp(s.buf.data() + s.pos, kMagic.data(), kMagic.size()) != 0)
      return make_error("not a tar recipe (or one of another version)");
    s.pos += kMagic.size();
    s.started = true;
  }
  if (s.raw_left == 0) {
    TRY(s.fill(1));
    if (s.pos == s.end) return make_error("the tar recipe is truncated");
    char op = char(s.buf[s.pos++]);
    switch (op) {
      case 'R':
        s.raw_left = TRY(s.varint());
        if (s.raw_left == 0) return make_error("the tar recipe is damaged: an empty raw step");
        break;
      case 'F': {
        step.kind = RecipeStep::Kind::kBody;
        step.size = TRY(s.varint());
        uint64_t length = TRY(s.varint());
        if (length == 0 || length > 65536)
          return make_error("the tar recipe is damaged: a path of {} bytes", length);
        TRY(s.fill(size_t(length)));
        if (s.end - s.pos < length) return make_error("the tar recipe is truncated");
        step.path.assign(reinterpret_cast<const char*>(s.buf.data() + s.pos), size_t(length));
        s.pos += size_t(length);
        step.index = s.bodies++;
        return step;
      }
      case 'E':
        s.total = TRY(s.varint());
        s.ended = true;
        step.size = s.total;
        return step;
      default:
        return make_error("the tar recipe is damaged: unknown step `{}`", op);
    }
  }
  size_t want = size_t(std::min<uint64_t>(s.raw_left, kMaxRawStep));
  TRY(s.fill(want));
  size_t have = std::min(want, s.end - s.pos);
  if (have == 0) return make_error("the tar recipe is truncated");
  step.kind = RecipeStep::Kind::kRaw;
  step.raw = {s.buf.data() + s.pos, have};
  s.pos += have;
  s.raw_left -= have;
  return step;
}

}  // namespace skiff
