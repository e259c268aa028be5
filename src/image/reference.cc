// Docker's reference grammar, scanned by hand rather than with std::regex:
// libstdc++'s regex recurses per character and overflows the stack on long
// input, and the grammar is small enough to read as code.
//
//   reference      := name [ ":" tag ] [ "@" digest ]
//   name           := [ domain "/" ] path-component [ "/" path-component ]*
//   domain         := ( domain-name | "[" [a-fA-F0-9:]+ "]" ) [ ":" [0-9]+ ]
//   domain-name    := domain-comp [ "." domain-comp ]*, domain-comp := [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?
//   path-component := [a-z0-9]+ ( ( [._] | "__" | "-"+ ) [a-z0-9]+ )*
//   tag            := [\w][\w.-]{0,127}
//   digest         := [A-Za-z][A-Za-z0-9]* ( [-_+.] [A-Za-z][A-Za-z0-9]* )* ":" [0-9a-fA-F]{32,}
//
// The split of a string into these parts is unique, so no backtracking is
// needed: nothing but the digest holds '@'; a tag holds neither '/' nor ':'
// and a path component holds no ':', so a ':' after the last '/' starts the
// tag; a domain holds no '/' and is taken whenever the text before the first
// '/' is one (the regexp's optional group is greedy).
//
// Which error docker reports depends on Go's strings.ToLower, which also
// lowercases non-ASCII letters and rewrites invalid UTF-8; go_lower_changes()
// and go_lower_ascii() reproduce the parts of it that can change the outcome.
#include "image/reference.h"

#include <algorithm>
#include <cstdint>
#include <optional>

namespace skiff {

namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kLocalhost = "localhost";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr std::string_view kDefaultTag = "latest";
constexpr size_t kMaxTagLength = 128;
constexpr size_t kMinDigestHexLength = 32;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alpha(char c) { return is_lower(c) || is_upper(c); }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
bool is_lower_alnum(char c) { return is_lower(c) || is_digit(c); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

template <typename Pred>
bool all_of(std::string_view s, Pred pred) {
  return std::all_of(s.begin(), s.end(), pred);
}

// [a-z0-9]+ ((?:[._]|__|[-]+)[a-z0-9]+)*
bool is_path_component(std::string_view s) {
  size_t i = 0;
  auto alnum_run = [&] {
    size_t start = i;
    while (i < s.size() && is_lower_alnum(s[i])) ++i;
    return i > start;
  };
  if (!alnum_run()) return false;
  while (i < s.size()) {
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnum_run()) return false;
  }
  return true;
}

// path-component ['/' path-component]*
bool is_remote_name(std::string_view s) {
  while (true) {
    size_t slash = s.find('/');
    if (!is_path_component(s.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    s.remove_prefix(slash + 1);
  }
}

// [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view s) {
  return !s.empty() && is_alnum(s.front()) && is_alnum(s.back()) &&
         all_of(s, [](char c) { return is_alnum(c) || c == '-'; });
}

bool is_domain_name(std::string_view s) {
  while (true) {
    size_t dot = s.find('.');
    if (!is_domain_component(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

// host [':' port], host being a domain name or a bracketed IPv6 address.
bool is_domain(std::string_view s) {
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    if (!all_of(s.substr(1, close - 1), [](char c) { return is_hex(c) || c == ':'; })) return false;
    port = s.substr(close + 1);
  } else {
    size_t colon = s.find(':');
    if (!is_domain_name(s.substr(0, colon))) return false;
    if (colon != std::string_view::npos) port = s.substr(colon);
  }
  return port.empty() || (port.size() > 1 && port.front() == ':' && all_of(port.substr(1), is_digit));
}

// [\w][\w.-]{0,127}
bool is_tag(std::string_view s) {
  return !s.empty() && s.size() <= kMaxTagLength && is_word(s.front()) &&
         all_of(s, [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

// Components of `first_char`+`rest_char`* separated by single chars in `separators`.
template <typename First, typename Rest>
bool is_separated_components(std::string_view s, First first_char, Rest rest_char,
                             std::string_view separators) {
  size_t i = 0;
  while (true) {
    if (i >= s.size() || !first_char(s[i])) return false;
    ++i;
    while (i < s.size() && rest_char(s[i])) ++i;
    if (i == s.size()) return true;
    if (separators.find(s[i]) == std::string_view::npos) return false;
    ++i;
  }
}

// distribution/reference's digest grammar: algorithm ':' at least 32 hex digits.
bool is_digest_grammar(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view hex = s.substr(colon + 1);
  return is_separated_components(s.substr(0, colon), is_alpha, is_alnum, "-_+.") &&
         hex.size() >= kMinDigestHexLength && all_of(hex, is_hex);
}

// go-digest v1.0.0 Digest.Validate() on a string that already passed
// is_digest_grammar(): nullopt when valid, else its error message. sha256,
// sha384 and sha512 are the algorithms docker registers.
std::optional<std::string_view> digest_validation_error(std::string_view digest) {
  size_t colon = digest.find(':');
  std::string_view algorithm = digest.substr(0, colon);
  std::string_view encoded = digest.substr(colon + 1);
  size_t hex_length = algorithm == "sha256"   ? 64
                      : algorithm == "sha384" ? 96
                      : algorithm == "sha512" ? 128
                                              : 0;
  if (hex_length == 0) {
    // go-digest's DigestRegexp: [a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+
    // (the hex part always satisfies it here).
    if (!is_separated_components(algorithm, is_lower_alnum, is_lower_alnum, ".+_-")) {
      return "invalid checksum digest format";
    }
    return "unsupported digest algorithm";
  }
  if (encoded.size() != hex_length) return "invalid checksum digest length";
  if (!all_of(encoded, is_lower_hex)) return "invalid checksum digest format";
  return std::nullopt;
}

// ^[a-f0-9]{64}$: a full image ID, refused as a repository name.
bool is_identifier(std::string_view s) { return s.size() == 64 && all_of(s, is_lower_hex); }

// Decodes one code point at s[i] as Go's utf8.DecodeRuneInString does;
// -1 for an invalid sequence (Go's RuneError with width 1).
int32_t decode_utf8(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) -> uint8_t { return i + k < s.size() ? uint8_t(s[i + k]) : 0; };
  auto cont = [&](size_t k, uint8_t lo, uint8_t hi) {
    uint8_t b = byte(k);
    return i + k < s.size() && b >= lo && b <= hi;
  };
  uint8_t b0 = byte(0);
  if (b0 < 0x80) {
    i += 1;
    return b0;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(1, 0x80, 0xBF)) {
    int32_t r = ((b0 & 0x1F) << 6) | (byte(1) & 0x3F);
    i += 2;
    return r;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80;
    uint8_t hi = b0 == 0xED ? 0x9F : 0xBF;
    if (cont(1, lo, hi) && cont(2, 0x80, 0xBF)) {
      int32_t r = ((b0 & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
      i += 3;
      return r;
    }
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80;
    uint8_t hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF)) {
      int32_t r = ((b0 & 0x07) << 18) | ((byte(1) & 0x3F) << 12) | ((byte(2) & 0x3F) << 6) |
                  (byte(3) & 0x3F);
      i += 4;
      return r;
    }
  }
  i += 1;
  return -1;
}

// Non-ASCII code points that have a lowercase mapping (Unicode 14), as
// {first, last, stride}: every stride-th code point from first to last.
struct CaseRange {
  int32_t first, last, stride;
};
constexpr CaseRange kUppercaseRanges[] = {
    {0x00C0, 0x00D6, 1}, {0x00D8, 0x00DE, 1}, {0x0100, 0x0136, 2}, {0x0139, 0x0147, 2},
    {0x014A, 0x0178, 2}, {0x0179, 0x017D, 2}, {0x0181, 0x0182, 1}, {0x0184, 0x0186, 2},
    {0x0187, 0x0189, 2}, {0x018A, 0x018B, 1}, {0x018E, 0x0191, 1}, {0x0193, 0x0194, 1},
    {0x0196, 0x0198, 1}, {0x019C, 0x019D, 1}, {0x019F, 0x01A0, 1}, {0x01A2, 0x01A6, 2},
    {0x01A7, 0x01A9, 2}, {0x01AC, 0x01AE, 2}, {0x01AF, 0x01B1, 2}, {0x01B2, 0x01B3, 1},
    {0x01B5, 0x01B7, 2}, {0x01B8, 0x01B8, 1}, {0x01BC, 0x01BC, 1}, {0x01C4, 0x01C5, 1},
    {0x01C7, 0x01C8, 1}, {0x01CA, 0x01CB, 1}, {0x01CD, 0x01DB, 2}, {0x01DE, 0x01EE, 2},
    {0x01F1, 0x01F2, 1}, {0x01F4, 0x01F6, 2}, {0x01F7, 0x01F8, 1}, {0x01FA, 0x0232, 2},
    {0x023A, 0x023B, 1}, {0x023D, 0x023E, 1}, {0x0241, 0x0243, 2}, {0x0244, 0x0246, 1},
    {0x0248, 0x024E, 2}, {0x0370, 0x0372, 2}, {0x0376, 0x0376, 1}, {0x037F, 0x037F, 1},
    {0x0386, 0x0388, 2}, {0x0389, 0x038A, 1}, {0x038C, 0x038E, 2}, {0x038F, 0x0391, 2},
    {0x0392, 0x03A1, 1}, {0x03A3, 0x03AB, 1}, {0x03CF, 0x03CF, 1}, {0x03D8, 0x03EE, 2},
    {0x03F4, 0x03F4, 1}, {0x03F7, 0x03F9, 2}, {0x03FA, 0x03FA, 1}, {0x03FD, 0x042F, 1},
    {0x0460, 0x0480, 2}, {0x048A, 0x04C0, 2}, {0x04C1, 0x04CD, 2}, {0x04D0, 0x052E, 2},
    {0x0531, 0x0556, 1}, {0x10A0, 0x10C5, 1}, {0x10C7, 0x10C7, 1}, {0x10CD, 0x10CD, 1},
    {0x13A0, 0x13F5, 1}, {0x1C90, 0x1CBA, 1}, {0x1CBD, 0x1CBF, 1}, {0x1E00, 0x1E94, 2},
    {0x1E9E, 0x1EFE, 2}, {0x1F08, 0x1F0F, 1}, {0x1F18, 0x1F1D, 1}, {0x1F28, 0x1F2F, 1},
    {0x1F38, 0x1F3F, 1}, {0x1F48, 0x1F4D, 1}, {0x1F59, 0x1F5F, 2}, {0x1F68, 0x1F6F, 1},
    {0x1F88, 0x1F8F, 1}, {0x1F98, 0x1F9F, 1}, {0x1FA8, 0x1FAF, 1}, {0x1FB8, 0x1FBC, 1},
    {0x1FC8, 0x1FCC, 1}, {0x1FD8, 0x1FDB, 1}, {0x1FE8, 0x1FEC, 1}, {0x1FF8, 0x1FFC, 1},
    {0x2126, 0x2126, 1}, {0x212A, 0x212B, 1}, {0x2132, 0x2132, 1}, {0x2160, 0x216F, 1},
    {0x2183, 0x2183, 1}, {0x24B6, 0x24CF, 1}, {0x2C00, 0x2C2F, 1}, {0x2C60, 0x2C62, 2},
    {0x2C63, 0x2C64, 1}, {0x2C67, 0x2C6D, 2}, {0x2C6E, 0x2C70, 1}, {0x2C72, 0x2C72, 1},
    {0x2C75, 0x2C75, 1}, {0x2C7E, 0x2C80, 1}, {0x2C82, 0x2CE2, 2}, {0x2CEB, 0x2CED, 2},
    {0x2CF2, 0x2CF2, 1}, {0xA640, 0xA66C, 2}, {0xA680, 0xA69A, 2}, {0xA722, 0xA72E, 2},
    {0xA732, 0xA76E, 2}, {0xA779, 0xA77D, 2}, {0xA77E, 0xA786, 2}, {0xA78B, 0xA78D, 2},
    {0xA790, 0xA792, 2}, {0xA796, 0xA7AA, 2}, {0xA7AB, 0xA7AE, 1}, {0xA7B0, 0xA7B4, 1},
    {0xA7B6, 0xA7C4, 2}, {0xA7C5, 0xA7C7, 1}, {0xA7C9, 0xA7C9, 1}, {0xA7D0, 0xA7D0, 1},
    {0xA7D6, 0xA7D8, 2}, {0xA7F5, 0xA7F5, 1}, {0xFF21, 0xFF3A, 1}, {0x10400, 0x10427, 1},
    {0x104B0, 0x104D3, 1}, {0x10570, 0x1057A, 1}, {0x1057C, 0x1058A, 1}, {0x1058C, 0x10592, 1},
    {0x10594, 0x10595, 1}, {0x10C80, 0x10CB2, 1}, {0x118A0, 0x118BF, 1}, {0x16E40, 0x16E5F, 1},
    {0x1E900, 0x1E921, 1},
};

bool has_lowercase_mapping(int32_t r) {
  auto it = std::upper_bound(std::begin(kUppercaseRanges), std::end(kUppercaseRanges), r,
                             [](int32_t value, const CaseRange& range) { return value < range.first; });
  if (it == std::begin(kUppercaseRanges)) return false;
  --it;
  return r <= it->last && (r - it->first) % it->stride == 0;
}

// Whether Go's strings.ToLower(s) != s: an uppercase letter (ASCII or not),
// or invalid UTF-8, which Go replaces with U+FFFD.
bool go_lower_changes(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (is_upper(s[i])) return true;
    if (uint8_t(s[i]) < 0x80) {
      ++i;
      continue;
    }
    int32_t r = decode_utf8(s, i);
    if (r < 0 || has_lowercase_mapping(r)) return true;
  }
  return false;
}

// Go's strings.ToLower(s) as far as a grammar match can tell: ASCII letters
// lowered, KELVIN SIGN -> 'k' and LATIN CAPITAL LETTER I WITH DOT ABOVE -> 'i'
// (the only non-ASCII letters whose lowercase is ASCII); other non-ASCII
// bytes are kept, as any of them makes the match fail either way.
std::string go_lower_ascii(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.substr(i, 3) == "\xE2\x84\xAA") {
      out += 'k';
      i += 2;
    } else if (s.substr(i, 2) == "\xC4\xB0") {
      out += 'i';
      i += 1;
    } else {
      out += is_upper(s[i]) ? char(s[i] - 'A' + 'a') : s[i];
    }
  }
  return out;
}

struct ReferenceParts {
  std::string_view domain, path, tag, digest;
};

// The anchored reference grammar; see the top of the file for why the split
// below is the only one possible.
std::optional<ReferenceParts> match_reference(std::string_view s) {
  ReferenceParts parts;
  std::string_view name = s;
  if (size_t at = name.find('@'); at != std::string_view::npos) {
    parts.digest = name.substr(at + 1);
    name = name.substr(0, at);
    if (!is_digest_grammar(parts.digest)) return std::nullopt;
  }
  size_t last_slash = name.rfind('/');
  size_t colon = name.find(':', last_slash == std::string_view::npos ? 0 : last_slash + 1);
  if (colon != std::string_view::npos) {
    parts.tag = name.substr(colon + 1);
    name = name.substr(0, colon);
    if (!is_tag(parts.tag)) return std::nullopt;
  }
  size_t first_slash = name.find('/');
  if (first_slash != std::string_view::npos && is_domain(name.substr(0, first_slash)) &&
      is_remote_name(name.substr(first_slash + 1))) {
    parts.domain = name.substr(0, first_slash);
    parts.path = name.substr(first_slash + 1);
  } else if (is_remote_name(name)) {
    parts.path = name;
  } else {
    return std::nullopt;
  }
  return parts;
}

// distribution/reference's Parse: no normalisation; the domain may be empty.
Result<ImageReference> parse_exact(std::string_view s) {
  if (s.empty()) return make_error("repository name must have at least one component");
  std::optional<ReferenceParts> parts = match_reference(s);
  if (!parts) {
    // Docker's hint: the text would parse if it were lowercase.
    if (go_lower_changes(s) && match_reference(go_lower_ascii(s))) {
      return make_error("repository name must be lowercase");
    }
    return make_error("invalid reference format");
  }
  if (parts->path.size() > kMaxRepositoryPathLength) {
    return make_error("repository name must not be more than {} characters", kMaxRepositoryPathLength);
  }
  if (!parts->digest.empty()) {
    if (auto error = digest_validation_error(parts->digest)) return make_error("{}", *error);
  }
  return ImageReference{
      .domain = std::string(parts->domain),
      .path = std::string(parts->path),
      .tag = std::string(parts->tag),
      .digest = std::string(parts->digest),
  };
}

struct DomainSplit {
  std::string_view domain;
  std::string remainder;
};

// Docker's splitDockerDomain: picks the registry for a familiar name. The
// first component is a domain when it is "localhost", holds a '.' or ':', or
// is not all lowercase; otherwise the name is on docker.io, where one-component
// names live under "library/".
DomainSplit split_docker_domain(std::string_view name) {
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) {
    return {kDefaultDomain, std::string(kOfficialRepoPrefix) + std::string(name)};
  }
  std::string_view first = name.substr(0, slash);
  std::string_view rest = name.substr(slash + 1);
  DomainSplit split;
  if (first == kLocalhost) {
    split = {first, std::string(rest)};
  } else if (first == kLegacyDefaultDomain) {
    split = {kDefaultDomain, std::string(rest)};
  } else if (first.find_first_of(".:") != std::string_view::npos || go_lower_changes(first)) {
    split = {first, std::string(rest)};
  } else {
    split = {kDefaultDomain, std::string(name)};
  }
  if (split.domain == kDefaultDomain && split.remainder.find('/') == std::string::npos) {
    split.remainder.insert(0, kOfficialRepoPrefix);
  }
  return split;
}

}  // namespace

Result<ImageReference> ImageReference::parse(std::string_view text) {
  if (is_identifier(text)) {
    return make_error("invalid repository name ({}), cannot specify 64-byte hexadecimal strings", text);
  }
  DomainSplit split = split_docker_domain(text);
  std::string_view remainder = split.remainder;
  std::string_view remote = remainder.substr(0, remainder.find(':'));
  if (go_lower_changes(remote)) {
    return make_error("invalid reference format: repository name ({}) must be lowercase", remote);
  }
  std::string full;
  full.reserve(split.domain.size() + 1 + remainder.size());
  full.append(split.domain).append("/").append(remainder);
  return parse_exact(full);
}

Result<ImageReference> ImageReference::parse_with_default_tag(std::string_view text) {
  ImageReference ref = TRY(parse(text));
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = kDefaultTag;
  return ref;
}

Result<ImageReference> ImageReference::parse_docker_ref(std::string_view text) {
  ImageReference ref = TRY(parse_with_default_tag(text));
  if (!ref.digest.empty()) ref.tag.clear();
  return ref;
}

Result<ImageReference> ImageReference::with_tag(std::string_view new_tag) const {
  if (!is_tag(new_tag)) return make_error("invalid tag format");
  ImageReference ref = *this;
  ref.tag = new_tag;
  return ref;
}

Result<ImageReference> ImageReference::with_digest(std::string_view new_digest) const {
  if (!is_digest_grammar(new_digest)) return make_error("invalid digest format");
  if (auto error = digest_validation_error(new_digest)) return make_error("{}", *error);
  ImageReference ref = *this;
  ref.digest = new_digest;
  return ref;
}

std::string ImageReference::name() const {
  if (domain.empty()) return path;
  return domain + "/" + path;
}

std::string ImageReference::string() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::string ImageReference::familiar_name() const {
  if (domain != kDefaultDomain) return name();
  std::string_view short_path = path;
  // Only "library/x" shortens: "library/a/b" keeps its prefix.
  if (short_path.starts_with(kOfficialRepoPrefix) &&
      short_path.substr(kOfficialRepoPrefix.size()).find('/') == std::string_view::npos) {
    short_path.remove_prefix(kOfficialRepoPrefix.size());
  }
  return std::string(short_path);
}

std::string ImageReference::familiar_string() const {
  std::string out = familiar_name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

bool looks_like_image_id(std::string_view text) {
  if (text.starts_with("sha256:")) text.remove_prefix(7);
  return !text.empty() && text.size() <= 64 && all_of(text, is_lower_hex);
}

}  // namespace skiff
