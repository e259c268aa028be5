// The public face of src/template: Template, docker's --format handling for
// list and inspect commands, and text/tabwriter's column alignment.
#include "template/go_template.h"

#include <algorithm>
#include <cctype>

#include "template/template_internal.h"

namespace skiff {

using template_internal::Program;

Result<Template> Template::parse(std::string_view text) {
  try {
    Program program = TRY(template_internal::parse_program(text));
    return Template(std::make_shared<const Program>(std::move(program)));
  } catch (const std::exception& e) {
    // Only allocation can throw here; keep it inside the module.
    return make_error("template: : {}", e.what());
  }
}

Result<std::string> Template::execute(const Json& data) const {
  std::string out;
  TRY(template_internal::execute_program(*program_, data, false, out));
  return out;
}

Result<std::string> Template::execute_header(const Json& header, std::string* partial) const {
  std::string out;
  Status status = template_internal::execute_program(*program_, header, true, out);
  if (!status.ok()) {
    if (partial) *partial = std::move(out);
    return std::move(status).error();
  }
  return out;
}

namespace {

constexpr std::string_view kTableKey = "table";
constexpr std::string_view kJsonKey = "json";

// docker's preFormat: trim spaces, then turn literal \t and \n into tab and newline.
std::string docker_format_text(std::string_view format) {
  while (!format.empty() && format.front() == ' ') format.remove_prefix(1);
  while (!format.empty() && format.back() == ' ') format.remove_suffix(1);
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '\\' && i + 1 < format.size() && (format[i + 1] == 't' || format[i + 1] == 'n')) {
      out += format[i + 1] == 't' ? '\t' : '\n';
      ++i;
    } else {
      out += format[i];
    }
  }
  return out;
}

// Terminal columns taken by a rune, as go-runewidth counts them for docker's
// tabwriter: 0 for combining marks, 2 for East Asian wide and emoji, else 1.
int rune_width(uint32_t r) {
  if ((r >= 0x0300 && r <= 0x036F) || (r >= 0x200B && r <= 0x200F) || (r >= 0xFE00 && r <= 0xFE0F)) return 0;
  if ((r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0x303E) || (r >= 0x3041 && r <= 0x33FF) ||
      (r >= 0x3400 && r <= 0x4DBF) || (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0xA000 && r <= 0xA4CF) ||
      (r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) || (r >= 0xFE30 && r <= 0xFE4F) ||
      (r >= 0xFF00 && r <= 0xFF60) || (r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x1F300 && r <= 0x1F64F) ||
      (r >= 0x1F900 && r <= 0x1F9FF) || (r >= 0x20000 && r <= 0x3FFFD))
    return 2;
  return 1;
}

int display_width(std::string_view s) {
  if (std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return int(s.size());  // ASCII: a column a byte
  int width = 0;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (i + len > s.size()) len = 1;
    uint32_t r = c;
    if (len == 2) r = c & 0x1F;
    if (len == 3) r = c & 0x0F;
    if (len == 4) r = c & 0x07;
    for (size_t k = 1; k < len; ++k) r = (r << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    width += rune_width(r);
    i += len;
  }
  return width;
}

}  // namespace

std::string align_columns(std::string_view text, int min_width) {
  constexpr int kPadding = 3;
  struct Cell {
    std::string_view text;
    int width;
  };
  // Cells end at a tab or newline; text after the last newline is a final
  // cell only when non-empty, as text/tabwriter's Flush does. All cells sit
  // in one array; line l's are cells[first[l]] up to cells[first[l + 1]].
  std::vector<Cell> cells;
  std::vector<size_t> first{0};
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\t' && text[i] != '\n') continue;
    std::string_view cell = text.substr(start, i - start);
    cells.push_back({cell, display_width(cell)});
    start = i + 1;
    if (text[i] == '\n') first.push_back(cells.size());
  }
  if (start < text.size()) cells.push_back({text.substr(start), display_width(text.substr(start))});
  first.push_back(cells.size());
  size_t line_count = first.size() - 1;
  auto cells_of = [&](size_t l) { return first[l + 1] - first[l]; };

  // Column c of a line exists when the line has a tab-terminated cell c; a
  // column block is a run of consecutive lines where it exists, and all its
  // cells get the block's width. (Iterative form of tabwriter's recursive
  // format.) -1: a cell not padded, the last of its line.
  std::vector<int> widths(cells.size(), -1);
  std::vector<size_t> active(line_count), having;
  for (size_t i = 0; i < line_count; ++i) active[i] = i;
  for (size_t column = 0; !active.empty(); ++column) {
    having.clear();
    for (size_t l : active)
      if (cells_of(l) > column + 1) having.push_back(l);
    for (size_t i = 0; i < having.size();) {
      size_t j = i;
      int width = min_width;
      while (j < having.size() && (j == i || having[j] == having[j - 1] + 1)) {
        width = std::max(width, cells[first[having[j]] + column].width + kPadding);
        ++j;
      }
      for (size_t k = i; k < j; ++k) widths[first[having[k]] + column] = width;
      i = j;
    }
    active.swap(having);
  }

  std::string out;
  out.reserve(text.size() * 2);
  for (size_t l = 0; l < line_count; ++l) {
    for (size_t c = first[l]; c < first[l + 1]; ++c) {
      out += cells[c].text;
      if (widths[c] >= 0) out.append(static_cast<size_t>(std::max(0, widths[c] - cells[c].width)), ' ');
    }
    if (l + 1 < line_count) out += '\n';
  }
  return out;
}

Result<RowFormatter> RowFormatter::make(std::string_view format, std::string_view default_table,
                                        const Json& header) {
  RowFormatter f;
  std::string_view chosen = format.empty() || format == kTableKey ? default_table : format;
  if (chosen == kJsonKey) {
    f.json_ = true;
    return f;
  }
  f.table_ = chosen.starts_with(kTableKey);
  f.text_ = docker_format_text(f.table_ ? chosen.substr(kTableKey.size()) : chosen);
  auto parsed = Template::parse(f.text_);
  if (!parsed) return parsed.error().wrap("template parsing error");
  f.template_ = std::move(*parsed);
  f.header_ = header;
  // Inside actions, a dot not followed by a field name (".", "index . X")
  // or a `$` not followed by a dot can reach every field.
  for (size_t open = f.text_.find("{{"); open != std::string::npos && !f.whole_rows_;
       open = f.text_.find("{{", open + 2)) {
    size_t close = f.text_.find("}}", open + 2);
    if (close == std::string::npos) close = f.text_.size();
    std::string_view action = std::string_view(f.text_).substr(open + 2, close - (open + 2));
    for (size_t i = 0; i < action.size(); ++i) {
      char next = i + 1 < action.size() ? action[i + 1] : ' ';
      bool name_follows = std::isalpha(static_cast<unsigned char>(next)) || next == '_';
      if ((action[i] == '.' && !name_follows) || (action[i] == '$' && next != '.')) f.whole_rows_ = true;
    }
  }
  return f;
}

bool RowFormatter::uses_field(std::string_view name) const {
  return json_ || whole_rows_ || text_.find(name) != std::string::npos;
}

namespace {

// A row without its methods' results (keys "Name()"): what json shows.
Json without_methods(const Json& row) {
  Json out = Json::object();
  for (auto it = row.begin(); it != row.end(); ++it)
    if (!it.key().ends_with("()")) out[it.key()] = *it;
  return out;
}

}  // namespace

Status RowFormatter::add(const Json& row) {
  if (json_) {
    body_ += to_compact_json(row.is_object() ? without_methods(row) : row);
  } else {
    auto line = template_->execute(row);
    if (!line) return line.error().wrap("template parsing error");
    body_ += *line;
  }
  body_ += '\n';
  return {};
}

std::string RowFormatter::finish() && {
  if (!table_) return std::move(body_);
  std::string all;
  if (!header_.is_null() && !(header_.is_object() && header_.empty())) {
    // docker ignores a failing header and keeps what it wrote.
    std::string partial;
    auto line = template_->execute_header(header_, &partial);
    all += line ? *line : partial;
    all += '\n';
  }
  all += body_;
  return align_columns(all);
}

Result<std::string> format_rows(std::string_view format, std::string_view default_table, const Json& header,
                                const std::vector<Json>& rows) {
  RowFormatter formatter = TRY(RowFormatter::make(format, default_table, header));
  for (const Json& row : rows) TRY(formatter.add(row));
  return std::move(formatter).finish();
}

Result<std::string> format_each(std::string_view format, const std::vector<Json>& items) {
  auto parsed = Template::parse(format);
  if (!parsed) return parsed.error().wrap("template parsing error");
  std::string out;
  for (const Json& item : items) {
    auto text = parsed->execute(item);
    if (!text) return text.error().wrap("template parsing error");
    out += *text;
    out += '\n';
  }
  return out;
}

}  // namespace skiff
