// Go's fmt package rules (print.go, format.go) and strconv.Quote, applied to
// JSON values standing in for Go values: %v of ints, float64 (shortest form,
// exponent from 1e+06 on), strings, bools, nil, []interface{} as [a b] and
// map[string]interface{} as map[k:v] with sorted keys; Printf's flags, width,
// precision and its %!verb(type=value) / %!v(MISSING) / %!(EXTRA ...) forms.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "template/template_internal.h"

namespace skiff::template_internal {
namespace {

struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  int width = -1;  // -1: none
  int prec = -1;   // -1: none
};

// Decodes one UTF-8 rune at s[i]; an invalid byte decodes as U+FFFD of length 1.
uint32_t decode_rune(std::string_view s, size_t i, size_t* len, bool* valid = nullptr) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  if (valid) *valid = true;
  unsigned char c = b(0);
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  if ((c & 0xE0) == 0xC0 && c >= 0xC2 && cont(1)) {
    *len = 2;
    return (static_cast<uint32_t>(c & 0x1F) << 6) | (b(1) & 0x3F);
  }
  if ((c & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    uint32_t r = (static_cast<uint32_t>(c & 0x0F) << 12) | (static_cast<uint32_t>(b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    if (r >= 0x800 && (r < 0xD800 || r > 0xDFFF)) {
      *len = 3;
      return r;
    }
  }
  if ((c & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
    uint32_t r = (static_cast<uint32_t>(c & 0x07) << 18) | (static_cast<uint32_t>(b(1) & 0x3F) << 12) |
                 (static_cast<uint32_t>(b(2) & 0x3F) << 6) | (b(3) & 0x3F);
    if (r >= 0x10000 && r <= 0x10FFFF) {
      *len = 4;
      return r;
    }
  }
  if (valid) *valid = false;
  *len = 1;
  return 0xFFFD;
}


size_t rune_count(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The first `n` runes of s.
std::string_view first_runes(std::string_view s, size_t n) {
  size_t i = 0;
  for (size_t runes = 0; i < s.size() && runes < n; ++runes) {
    size_t len = 1;
    decode_rune(s, i, &len);
    i += len;
  }
  return s.substr(0, i);
}

// An approximation of unicode.IsPrint for runes outside ASCII.
bool is_printable(uint32_t r) {
  if (r < 0x20 || r == 0x7F) return false;
  if (r >= 0x80 && r < 0xA0) return false;
  return r != 0xAD && r != 0x2028 && r != 0x2029 && r != 0xFEFF;
}

void append_escaped_rune(std::string& out, uint32_t r, char quote) {
  if (r == static_cast<uint32_t>(quote) || r == '\\') {
    out += '\\';
    out += static_cast<char>(r);
    return;
  }
  if (is_printable(r)) {
    append_rune(out, r);
    return;
  }
  switch (r) {
    case '\a': out += "\\a"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    case '\v': out += "\\v"; return;
    default: break;
  }
  if (r < ' ' || r == 0x7F)
    out += fmt::format("\\x{:02x}", r);
  else if (r < 0x10000)
    out += fmt::format("\\u{:04x}", r);
  else
    out += fmt::format("\\U{:08x}", r);
}

// strconv.QuoteRune.
std::string quote_rune(uint32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
  std::string out = "'";
  append_escaped_rune(out, r, '\'');
  return out + "'";
}

// Pads to the width in runes: spaces (or zeros, for numbers) on the left, or
// spaces on the right with '-'.
std::string pad(std::string s, const Spec& spec, bool zero_allowed = false) {
  if (spec.width < 0) return s;
  size_t runes = rune_count(s);
  if (runes >= static_cast<size_t>(spec.width)) return s;
  size_t n = static_cast<size_t>(spec.width) - runes;
  if (spec.minus) return s + std::string(n, ' ');
  return std::string(n, zero_allowed && spec.zero ? '0' : ' ') + s;
}

// fmt's fmtInteger.
std::string format_integer(uint64_t magnitude, bool negative, int base, char verb, Spec spec) {
  int prec = 0;
  if (spec.prec >= 0) {
    prec = spec.prec;
    if (prec == 0 && magnitude == 0) return pad("", spec);
  } else if (spec.zero && !spec.minus && spec.width >= 0) {
    prec = spec.width;
    if (negative || spec.plus || spec.space) --prec;
  }
  const char* digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  do {
    out += digits[magnitude % static_cast<uint64_t>(base)];
    magnitude /= static_cast<uint64_t>(base);
  } while (magnitude != 0);
  while (static_cast<int>(out.size()) < prec) out += '0';
  if (spec.sharp) {
    if (base == 2) out += "b0";
    if (base == 8 && out.back() != '0') out += '0';
    if (base == 16) out += verb == 'X' ? "X0" : "x0";
  }
  if (verb == 'O') out += "o0";
  if (negative)
    out += '-';
  else if (spec.plus)
    out += '+';
  else if (spec.space)
    out += ' ';
  std::reverse(out.begin(), out.end());
  return pad(out, spec);
}

// strconv.FormatFloat(v, 'g', -1, 64): the shortest digits that read back as
// v, in %e form when the exponent is < -4 or >= 6 (1e+06), else plain.
std::string shortest_float(double v, bool upper) {
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string text(buf, sci.ptr);
  size_t e = text.find('e');
  int exponent = e == std::string::npos ? 0 : std::atoi(text.c_str() + e + 1);
  if (exponent < -4 || exponent >= 6) {
    if (upper && e != std::string::npos) text[e] = 'E';
    return text;
  }
  auto fixed = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, fixed.ptr);
}

// fmt's fmtFloat for verbs v g G e E f F.
std::string format_float(double v, char verb, Spec spec) {
  std::string num;
  if (std::isnan(v)) {
    num = "NaN";
  } else if (std::isinf(v)) {
    num = v < 0 ? "-Inf" : "+Inf";
  } else if ((verb == 'g' || verb == 'G' || verb == 'v') && spec.prec < 0) {
    num = shortest_float(v, verb == 'G');
  } else {
    int prec = spec.prec < 0 ? 6 : spec.prec;
    char f = verb == 'v' ? 'g' : verb == 'F' ? 'f' : verb;
    char format[8] = {'%', '.', '*', f, '\0'};
    char buf[512];
    int n = std::snprintf(buf, sizeof buf, format, std::min(prec, 300), v);
    num.assign(buf, static_cast<size_t>(std::clamp(n, 0, static_cast<int>(sizeof buf) - 1)));
  }
  if (num[0] != '-' && num[0] != '+') num.insert(num.begin(), '+');
  if (spec.space && num[0] == '+' && !spec.plus) num[0] = ' ';
  if (num[1] == 'I' || num[1] == 'N') {
    if (num[1] == 'N' && !spec.space && !spec.plus) num.erase(0, 1);
    spec.zero = false;
    return pad(num, spec);
  }
  if (spec.plus || num[0] != '+') {
    if (spec.zero && !spec.minus && spec.width > static_cast<int>(num.size()))
      return num.substr(0, 1) + std::string(static_cast<size_t>(spec.width) - num.size(), '0') + num.substr(1);
    return pad(num, spec);
  }
  return pad(num.substr(1), spec, true);
}

std::string format_value(const Json* value, uint32_t verb, const Spec& spec, int depth);

// %!verb(type=value)
std::string bad_verb(const Json* value, uint32_t verb, const Spec& spec) {
  std::string out = "%!";
  append_rune(out, verb);
  out += '(';
  if (value && !value->is_null()) {
    out += go_type_name(*value) + "=" + format_value(value, 'v', spec, 0);
  } else {
    out += "<nil>";
  }
  return out + ')';
}

std::string format_string(const std::string& s, uint32_t verb, const Spec& spec) {
  switch (verb) {
    case 'v':
    case 's': return pad(std::string(spec.prec >= 0 ? first_runes(s, static_cast<size_t>(spec.prec)) : s), spec);
    case 'q': return pad(go_quote(spec.prec >= 0 ? first_runes(s, static_cast<size_t>(spec.prec)) : s), spec);
    case 'x':
    case 'X': {
      std::string_view bytes = s;
      if (spec.prec >= 0) bytes = bytes.substr(0, static_cast<size_t>(spec.prec));
      std::string out;
      for (size_t i = 0; i < bytes.size(); ++i) {
        if (spec.space && i > 0) out += ' ';
        if (spec.sharp && (spec.space || i == 0)) out += verb == 'x' ? "0x" : "0X";
        auto byte = static_cast<unsigned char>(bytes[i]);
        out += verb == 'x' ? fmt::format("{:02x}", byte) : fmt::format("{:02X}", byte);
      }
      return pad(out, spec);
    }
    default: return bad_verb(nullptr, verb, spec);  // replaced by the caller
  }
}

std::string format_value(const Json* value, uint32_t verb, const Spec& spec, int depth) {
  if (!value || value->is_null()) {
    if (verb == 'v' || verb == 'T' || depth > 0) return pad("<nil>", spec);
    return bad_verb(nullptr, verb, spec);
  }
  const Json& v = *value;
  if (verb == 'T') return pad(go_type_name(v), spec);
  switch (v.type()) {
    case Json::value_t::boolean:
      if (verb == 't' || verb == 'v') return pad(v.get<bool>() ? "true" : "false", spec);
      return bad_verb(value, verb, spec);
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: {
      uint64_t magnitude;
      bool negative = false;
      if (v.is_number_unsigned()) {
        magnitude = v.get<uint64_t>();
      } else {
        int64_t i = v.get<int64_t>();
        negative = i < 0;
        magnitude = negative ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
      }
      switch (verb) {
        case 'v':
        case 'd': return format_integer(magnitude, negative, 10, 'd', spec);
        case 'b': return format_integer(magnitude, negative, 2, 'b', spec);
        case 'o':
        case 'O': return format_integer(magnitude, negative, 8, static_cast<char>(verb), spec);
        case 'x':
        case 'X': return format_integer(magnitude, negative, 16, static_cast<char>(verb), spec);
        case 'c': {
          std::string s;
          append_rune(s, negative || magnitude > 0x10FFFF ? 0xFFFD : static_cast<uint32_t>(magnitude));
          return pad(s, spec);
        }
        case 'q': return pad(quote_rune(negative || magnitude > 0x10FFFF ? 0xFFFD : static_cast<uint32_t>(magnitude)), spec);
        case 'U': {
          Spec digits = spec;
          digits.prec = std::max(spec.prec, 4);
          digits.width = -1;
          digits.zero = digits.plus = digits.space = digits.sharp = false;
          std::string s = "U+" + format_integer(magnitude, false, 16, 'X', digits);
          if (spec.sharp && magnitude <= 0x10FFFF && is_printable(static_cast<uint32_t>(magnitude))) {
            s += " '";
            append_rune(s, static_cast<uint32_t>(magnitude));
            s += "'";
          }
          return pad(s, spec);
        }
        default: return bad_verb(value, verb, spec);
      }
    }
    case Json::value_t::number_float:
      switch (verb) {
        case 'v': case 'g': case 'G': case 'e': case 'E': case 'f': case 'F':
          return format_float(v.get<double>(), static_cast<char>(verb), spec);
        default: return bad_verb(value, verb, spec);
      }
    case Json::value_t::string: {
      if (verb != 'v' && verb != 's' && verb != 'q' && verb != 'x' && verb != 'X') return bad_verb(value, verb, spec);
      return format_string(v.get_ref<const std::string&>(), verb, spec);
    }
    case Json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += ' ';
        out += format_value(&v[i], verb, spec, depth + 1);
      }
      return out + "]";
    }
    case Json::value_t::object: {
      std::vector<std::pair<Json, const Json*>> items;
      for (auto it = v.begin(); it != v.end(); ++it) items.emplace_back(Json(it.key()), &it.value());
      std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
        return a.first.template get_ref<const std::string&>() < b.first.template get_ref<const std::string&>();
      });
      std::string out = "map[";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ' ';
        out += format_value(&items[i].first, verb, spec, depth + 1);
        out += ':';
        out += format_value(items[i].second, verb, spec, depth + 1);
      }
      return out + "]";
    }
    default: return bad_verb(value, verb, spec);
  }
}

bool is_string(const Json* value) { return value && value->is_string(); }

}  // namespace

void append_rune(std::string& out, uint32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

std::string go_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string: return "string";
    case Json::value_t::boolean: return "bool";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "int";
    case Json::value_t::number_float: return "float64";
    case Json::value_t::array: return "[]interface {}";
    case Json::value_t::object: return "map[string]interface {}";
    default: return "<nil>";
  }
}

bool go_truth(const Json& value) {
  switch (value.type()) {
    case Json::value_t::boolean: return value.get<bool>();
    case Json::value_t::number_integer: return value.get<int64_t>() != 0;
    case Json::value_t::number_unsigned: return value.get<uint64_t>() != 0;
    case Json::value_t::number_float: return value.get<double>() != 0;
    case Json::value_t::string: return !value.get_ref<const std::string&>().empty();
    case Json::value_t::array:
    case Json::value_t::object: return !value.empty();
    default: return false;
  }
}

std::string go_quote(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    size_t len = 1;
    bool valid = true;
    uint32_t r = decode_rune(text, i, &len, &valid);
    if (!valid)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
    else
      append_escaped_rune(out, r, '"');
    i += len;
  }
  return out + "\"";
}

std::string go_print(const Json& value) { return format_value(&value, 'v', Spec{}, 0); }

std::string go_sprint(std::span<const Json* const> args) {
  std::string out;
  bool prev_string = false;
  for (size_t i = 0; i < args.size(); ++i) {
    bool string = is_string(args[i]);
    if (i > 0 && !string && !prev_string) out += ' ';
    out += format_value(args[i], 'v', Spec{}, 0);
    prev_string = string;
  }
  return out;
}

std::string go_sprintln(std::span<const Json* const> args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ' ';
    out += format_value(args[i], 'v', Spec{}, 0);
  }
  return out + "\n";
}

std::string go_sprintf(std::string_view format, std::span<const Json* const> args) {
  std::string out;
  size_t arg = 0;
  size_t end = format.size();
  // A number in the format; -1 when absent. Go caps it at 1e6.
  auto parse_number = [&](size_t& i) {
    if (i >= end || format[i] < '0' || format[i] > '9') return -1;
    int n = 0;
    while (i < end && format[i] >= '0' && format[i] <= '9') {
      if (n < 1000000) n = n * 10 + (format[i] - '0');
      ++i;
    }
    return n;
  };
  // A '*' width or precision taken from an int argument.
  auto int_arg = [&](int* n) {
    if (arg >= args.size() || !args[arg] || !args[arg]->is_number_integer()) {
      ++arg;
      return false;
    }
    int64_t v = args[arg++]->get<int64_t>();
    if (v > 1000000 || v < -1000000) return false;
    *n = static_cast<int>(v);
    return true;
  };
  for (size_t i = 0; i < end;) {
    size_t text_start = i;
    while (i < end && format[i] != '%') ++i;
    out.append(format.substr(text_start, i - text_start));
    if (i >= end) break;
    ++i;
    Spec spec;
    for (; i < end; ++i) {
      char c = format[i];
      if (c == '#') spec.sharp = true;
      else if (c == '0') spec.zero = true;
      else if (c == '+') spec.plus = true;
      else if (c == '-') spec.minus = true;
      else if (c == ' ') spec.space = true;
      else break;
    }
    if (i < end && format[i] == '*') {
      ++i;
      if (!int_arg(&spec.width)) {
        out += "%!(BADWIDTH)";
        spec.width = -1;
      } else if (spec.width < 0) {
        spec.width = -spec.width;
        spec.minus = true;
        spec.zero = false;
      }
    } else {
      spec.width = parse_number(i);
    }
    if (i + 1 < end && format[i] == '.') {
      ++i;
      if (i < end && format[i] == '*') {
        ++i;
        if (!int_arg(&spec.prec)) {
          out += "%!(BADPREC)";
          spec.prec = -1;
        } else if (spec.prec < 0) {
          spec.prec = -1;
        }
      } else {
        spec.prec = std::max(parse_number(i), 0);
      }
    }
    if (spec.minus) spec.zero = false;
    if (i >= end) {
      out += "%!(NOVERB)";
      break;
    }
    size_t len = 1;
    uint32_t verb = decode_rune(format, i, &len);
    i += len;
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (arg >= args.size()) {
      out += "%!";
      append_rune(out, verb);
      out += "(MISSING)";
      continue;
    }
    if (verb == 'v') {
      spec.sharp = false;  // Go syntax (%#v) and field names (%+v) are for structs
      spec.plus = false;
    }
    out += format_value(args[arg++], verb, spec, 0);
  }
  if (arg < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = arg; k < args.size(); ++k) {
      if (k > arg) out += ", ";
      if (!args[k] || args[k]->is_null())
        out += "<nil>";
      else
        out += go_type_name(*args[k]) + "=" + format_value(args[k], 'v', Spec{}, 0);
    }
    out += ')';
  }
  return out;
}

}  // namespace skiff::template_internal
