#include "engine/container_summary.h"

#include <fcntl.h>
#include <isa-l/crc64.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <exception>
#include <numeric>
#include <system_error>
#include <thread>

#include "base/fs.h"
#include "base/json.h"
#include "base/output.h"
#include "engine/container_process.h"

namespace skiff {

namespace {

// config.json opens with a summary of what `ps` reads, so that listing
// parses a few hundred bytes of each record rather than all of it:
//
//   {"listing_sum":"<16 hex>","listing":{"name":...,"Config":{"Labels":...},...},<the record>}
//
// "listing" holds exactly the record's own values of the fields read here
// (config_listing). "listing_sum" is a checksum of everything after it: a
// writer that doesn't know about the summary (an older skiff, a hand edit)
// changes the record without updating it, the sum no longer matches, and
// the record is read in full. So the summary can be stale on disk but is
// never believed when it is.
constexpr std::string_view kSumPrefix = "{\"listing_sum\":\"";
constexpr size_t kSumDigits = 16;
constexpr std::string_view kSumSuffix = "\",";
constexpr size_t kSumLength = kSumPrefix.size() + kSumDigits + kSumSuffix.size();

// A checksum for spotting a changed record, not an adversary's: ISA-L's
// CRC-64 (the one `skiff pull` already links for igzip), at memory speed.
uint64_t record_checksum(std::string_view data) {
  return crc64_ecma_refl(0, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

// Whether `text` opens with a summary whose sum matches the rest.
bool listing_checks_out(std::string_view text) {
  if (text.size() <= kSumLength || !text.starts_with(kSumPrefix) ||
      text.substr(kSumPrefix.size() + kSumDigits, kSumSuffix.size()) != kSumSuffix)
    return false;
  uint64_t sum = 0;
  for (char c : text.substr(kSumPrefix.size(), kSumDigits)) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return false;
    sum = sum << 4 | uint64_t(digit);
  }
  return sum == record_checksum(text.substr(kSumLength));
}

// config.json's summary: its values of the fields RecordReader keeps, each
// copied as is (so a value of the wrong type stays wrong in both places).
// Empty arrays and objects are left out: the reader takes absent as empty,
// and every byte here is lexed by every `ps`.
Json config_listing(const Json& config) {
  Json listing = Json::object();
  auto copy = [](Json& to, const char* key, const Json& value) {
    if (!((value.is_array() || value.is_object()) && value.empty())) to[key] = value;
  };
  auto only = [&](const Json& object, std::initializer_list<const char*> keys) {
    if (!object.is_object()) return object;
    Json out = Json::object();
    for (const char* key : keys)
      if (auto it = object.find(key); it != object.end()) copy(out, key, *it);
    return out;
  };
  for (const char* key : {"name", "image", "image_id", "created", "Path", "Args", "storage_driver"})
    if (auto it = config.find(key); it != config.end()) copy(listing, key, *it);
  if (auto it = config.find("Config"); it != config.end()) copy(listing, "Config", only(*it, {"Labels"}));
  if (auto it = config.find("HostConfig"); it != config.end())
    copy(listing, "HostConfig", only(*it, {"NetworkMode"}));
  if (auto it = config.find("Mounts"); it != config.end()) {
    Json mounts = *it;
    if (mounts.is_array())
      for (Json& m : mounts) m = only(m, {"Type", "Name", "Source", "Destination"});
    copy(listing, "Mounts", mounts);
  }
  return listing;
}

// config.json with a trusted summary (read up to its end), config.json read
// in full (its summary, if any, ignored), or state.json.
enum class Document { kListedConfig, kConfig, kState };

// Takes the events of one record and keeps the summary's fields. Objects
// and arrays holding wanted fields are tracked on a stack of places; any
// other nested value is skipped, counting only its depth. The first
// problem stops the parse (a handler returning false).
class RecordReader final : public nlohmann::json_sax<Json> {
 public:
  RecordReader(Document document, ContainerSummary& out) : document_(document), out_(out) {}

  const std::string& problem() const { return problem_; }
  /// The summary was read: the parse stopped there, and that is success.
  bool done() const { return done_; }

  bool null() override {
    if (at_top()) return not_an_object();
    Want w = want();
    // A null object or array reads as an absent one (docker's nil maps,
    // slices and pointers); an element of Mounts must be an object.
    if (ignorable(w) || (w.kind >= kFirstContainer && w.kind != kMountObject)) return true;
    return mismatch(w);
  }
  bool boolean(bool value) override {
    if (at_top()) return not_an_object();
    Want w = want();
    if (w.kind == kFlag) *w.flag = value;
    return w.kind == kFlag || ignorable(w) || mismatch(w);
  }
  bool number_integer(number_integer_t value) override {
    if (at_top()) return not_an_object();
    Want w = want();
    if (w.kind == kExitCode && value >= INT_MIN && value <= INT_MAX) {
      out_.exit_code = int(value);
      return true;
    }
    return ignorable(w) || mismatch(w);
  }
  bool number_unsigned(number_unsigned_t value) override {
    if (at_top()) return not_an_object();
    Want w = want();
    if (w.kind == kExitCode && value <= INT_MAX) {
      out_.exit_code = int(value);
      return true;
    }
    return ignorable(w) || mismatch(w);
  }
  bool number_float(number_float_t, const string_t&) override {
    if (at_top()) return not_an_object();
    Want w = want();
    return ignorable(w) || mismatch(w);
  }
  bool string(string_t& value) override {
    if (at_top()) return not_an_object();
    Want w = want();
    switch (w.kind) {
      case kString:
        *w.text = value;
        return true;
      case kArg:
        out_.args.push_back(value);
        return true;
      case kLabel: {
        // A repeated key keeps its place and takes the last value, as a parsed object would.
        auto it = std::find_if(out_.labels.begin(), out_.labels.end(),
                               [&](const auto& label) { return label.first == key_; });
        if (it == out_.labels.end())
          out_.labels.emplace_back(key_, value);
        else
          it->second = value;
        return true;
      }
      default:
        return ignorable(w) || mismatch(w);
    }
  }
  bool binary(binary_t&) override { return mismatch(want()); }  // JSON text has none

  bool start_object(std::size_t) override {
    if (skipped_ > 0) return ++skipped_, true;
    if (places_.empty()) {
      places_.push_back(kRoot);
      return true;
    }
    Want w = want();
    switch (w.kind) {
      case kListingObject:
        return enter(kListing);
      case kConfigObject:
        return enter(kConfig);
      case kLabelsObject:
        return enter(kLabels);
      case kHostConfigObject:
        return enter(kHostConfig);
      case kHealthObject:
        return enter(kHealth);
      case kMountObject:
        out_.mounts.emplace_back();
        return enter(kMount);
      default:
        if (!ignorable(w)) return mismatch(w);
        ++skipped_;
        return true;
    }
  }
  bool start_array(std::size_t) override {
    if (skipped_ > 0) return ++skipped_, true;
    if (places_.empty()) return not_an_object();
    Want w = want();
    if (w.kind == kArgsArray) return enter(kArgs);
    if (w.kind == kMountsArray) return enter(kMounts);
    if (!ignorable(w)) return mismatch(w);
    ++skipped_;
    return true;
  }
  bool end_object() override {
    if (skipped_ == 0 && !places_.empty() && places_.back() == kListing) {
      done_ = true;
      return false;  // all that is wanted: stop here
    }
    return leave();
  }
  bool end_array() override { return leave(); }
  bool key(string_t& key) override {
    if (skipped_ == 0) key_ = key;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    problem_ = json_error_text(e);
    return false;
  }

 private:
  // Objects and arrays whose members are kept.
  enum Place : uint8_t { kRoot, kListing, kConfig, kLabels, kHostConfig, kArgs, kMounts, kMount, kHealth };
  // What the value at the parser's position is for; the containers last.
  enum Kind : uint8_t {
    kNothing,
    kString,
    kArg,
    kLabel,
    kExitCode,
    kFlag,
    kFirstContainer,
    kListingObject = kFirstContainer,
    kConfigObject,
    kLabelsObject,
    kHostConfigObject,
    kHealthObject,
    kMountObject,
    kArgsArray,
    kMountsArray,
  };
  struct Want {
    Kind kind = kNothing;
    std::string* text = nullptr;
    bool* flag = nullptr;
  };

  Want want() {
    if (skipped_ > 0 || places_.empty()) return {};
    // A view: comparing with literals then checks lengths before bytes.
    std::string_view k = key_;
    switch (places_.back()) {
      case kRoot:
        if (document_ == Document::kState) {
          if (k == "Status") return {kString, &out_.status};
          if (k == "StartedAt") return {kString, &out_.started_at};
          if (k == "FinishedAt") return {kString, &out_.finished_at};
          if (k == "ExitCode") return {kExitCode};
          if (k == "Paused") return {kFlag, nullptr, &out_.paused};
          if (k == "Dead") return {kFlag, nullptr, &out_.dead};
          if (k == "Health") return {kHealthObject};
          if (k == "PortsText") return {kString, &out_.ports};
          return {};
        }
        if (k == "listing") return document_ == Document::kListedConfig ? Want{kListingObject} : Want{};
        [[fallthrough]];
      case kListing:
        if (k == "name") return {kString, &out_.name};
        if (k == "image") return {kString, &out_.image};
        if (k == "image_id") return {kString, &out_.image_id};
        if (k == "created") return {kString, &out_.created};
        if (k == "Path") return {kString, &out_.path};
        if (k == "storage_driver") return {kString, &out_.storage_driver};
        if (k == "Args") return {kArgsArray};
        if (k == "Config") return {kConfigObject};
        if (k == "HostConfig") return {kHostConfigObject};
        if (k == "Mounts") return {kMountsArray};
        return {};
      case kConfig:
        return k == "Labels" ? Want{kLabelsObject} : Want{};
      case kLabels:
        return {kLabel};
      case kHostConfig:
        return k == "NetworkMode" ? Want{kString, &out_.network} : Want{};
      case kArgs:
        return {kArg};
      case kMounts:
        return {kMountObject};
      case kMount: {
        ContainerSummary::Mount& m = out_.mounts.back();
        if (k == "Type") return {kString, &m.type};
        if (k == "Name") return {kString, &m.name};
        if (k == "Source") return {kString, &m.source};
        if (k == "Destination") return {kString, &m.destination};
        return {};
      }
      case kHealth:
        return k == "Status" ? Want{kString, &out_.health} : Want{};
    }
    return {};
  }

  // Values nobody reads, and Args' elements that aren't strings (json_strings skips them).
  static bool ignorable(const Want& w) { return w.kind == kNothing || w.kind == kArg; }

  bool enter(Place place) {
    places_.push_back(place);
    return true;
  }
  bool leave() {
    if (skipped_ > 0)
      --skipped_;
    else if (!places_.empty())
      places_.pop_back();
    return true;
  }

  // A value outside any object: the record itself is not one.
  bool at_top() const { return places_.empty() && skipped_ == 0; }

  bool not_an_object() {
    problem_ = "not a JSON object";
    return false;
  }

  // The field's name as a path from the record's top: "Config.Labels.team".
  std::string field_name() const {
    switch (places_.back()) {
      case kRoot:
        return key_;
      case kListing:
        return "listing." + key_;
      case kConfig:
        return "Config." + key_;
      case kLabels:
        return "Config.Labels." + key_;
      case kHostConfig:
        return "HostConfig." + key_;
      case kArgs:
        return "Args[]";
      case kMounts:
        return "Mounts[]";
      case kMount:
        return "Mounts[]." + key_;
      case kHealth:
        return "Health." + key_;
    }
    return key_;
  }

  bool mismatch(const Want& w) {
    if (places_.empty()) return not_an_object();
    const char* expected = "an object";
    if (w.kind == kString || w.kind == kLabel) expected = "a string";
    if (w.kind == kExitCode) expected = "an integer";
    if (w.kind == kFlag) expected = "true or false";
    if (w.kind == kArgsArray || w.kind == kMountsArray) expected = "an array";
    problem_ = fmt::format("`{}` is not {}", field_name(), expected);
    return false;
  }

  Document document_;
  ContainerSummary& out_;
  std::vector<Place> places_;  // at most four deep
  int skipped_ = 0;            // depth inside a value nobody reads
  std::string key_;            // the last key of the innermost kept object
  std::string problem_;
  bool done_ = false;
};

// Reads one record; the error is what is wrong with it, for the caller to
// say which file that is.
Status parse_record(Document document, std::string_view text, ContainerSummary& out) {
  RecordReader reader(document, out);
  try {
    if (Json::sax_parse(text.begin(), text.end(), &reader) || reader.done()) return {};
  } catch (const std::exception& e) {
    return make_error("{}", json_error_text(e));
  }
  return make_error("{}", reader.problem());
}

// Fills `s` (its id set) from the records in the containers folder open at
// `dir_fd`; `path` and `buffer` are scratch space reused across containers.
Status read_summary(int dir_fd, const std::string& containers_dir, ContainerSummary& s, std::string& path,
                    std::string& buffer) {
  path.assign(s.id).append("/config.json");
  std::string_view text = TRY(read_file_at(dir_fd, containers_dir, path, buffer, 4 << 20));
  TRY(std::move(parse_summary_config(text, s)).wrap("parse `{}/{}`", containers_dir, path));
  path.assign(s.id).append("/state.json");
  text = TRY(read_file_at(dir_fd, containers_dir, path, buffer, 1 << 20));
  return std::move(parse_summary_state(text, s)).wrap("parse `{}/{}`", containers_dir, path);
}

}  // namespace

std::string container_config_text(const Json& config) {
  Json record = Json::object();
  record["listing"] = config_listing(config);
  for (auto it = config.begin(); it != config.end(); ++it)
    if (it.key() != "listing" && it.key() != "listing_sum") record[it.key()] = it.value();
  std::string rest = to_compact_json(record).substr(1) + "\n";  // after the opening brace
  return fmt::format("{}{:016x}{}{}", kSumPrefix, record_checksum(rest), kSumSuffix, rest);
}

void drop_config_listing(Json& config) {
  if (!config.is_object()) return;
  config.erase("listing_sum");
  config.erase("listing");
}

Status parse_summary_config(std::string_view text, ContainerSummary& out) {
  return parse_record(listing_checks_out(text) ? Document::kListedConfig : Document::kConfig, text, out);
}

Status parse_summary_state(std::string_view text, ContainerSummary& out) {
  return parse_record(Document::kState, text, out);
}

Result<ContainerSummary> summarize_container(const Container& container) {
  ContainerSummary s;
  s.id = container.id;
  // The same readers as for the files, so both ways agree on every field.
  TRY(std::move(parse_summary_config(to_compact_json(container.config), s))
          .wrap("parse `{}/config.json`", container.dir));
  TRY(std::move(parse_summary_state(to_compact_json(container.state), s))
          .wrap("parse `{}/state.json`", container.dir));
  return s;
}

std::vector<ContainerSummary> list_container_summaries(
    const Store& store, const std::function<bool(const ContainerSummary&)>& keep) {
  std::string containers_dir = store.containers_dir();
  UniqueFd dir_fd(::open(containers_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return {};
  auto names = list_directory(dir_fd.get());
  if (!names.ok()) return {};
  std::erase_if(*names, [](const std::string& name) { return name.starts_with('.'); });

  // Reading is two opens, two reads and two closes a container, then a
  // small parse. A helper thread reads too, both taking the next few
  // containers as they go, so that the wait about halves when a second
  // core is free and neither waits for the other when it isn't. The
  // readers only read; what follows (recording a dead monitor, warnings,
  // `keep`) runs here, in directory order, once they are done.
  size_t count = names->size();
  std::vector<ContainerSummary> summaries(count);
  std::vector<Status> reads(count);
  std::vector<char> orphaned(count, false);  // live, but no monitor holds its lock
  constexpr size_t kBatch = 16;
  std::atomic<size_t> next{0};
  std::exception_ptr failed[2];  // what a reader threw (bad_alloc), rethrown once both are done
  auto reader = [&](int which) {
    try {
      std::string path, buffer;
      for (size_t first; (first = next.fetch_add(kBatch)) < count;) {
        for (size_t i = first; i < std::min(first + kBatch, count); ++i) {
          ContainerSummary& s = summaries[i];
          s.id = std::move((*names)[i]);
          reads[i] = read_summary(dir_fd.get(), containers_dir, s, path, buffer);
          orphaned[i] =
              reads[i].ok() && is_live_status(s.status) && !monitor_alive(containers_dir + "/" + s.id);
        }
      }
    } catch (...) {
      failed[which] = std::current_exception();
    }
  };
  constexpr size_t kShareFrom = 64;  // fewer are read before a thread would start
  std::thread helper;
  if (count >= kShareFrom) {
    try {
      helper = std::thread(reader, 1);
    } catch (const std::system_error&) {
      // No thread to be had: this one reads them all.
    }
  }
  reader(0);
  if (helper.joinable()) helper.join();
  for (const auto& f : failed)
    if (f) std::rethrow_exception(f);

  size_t kept = 0;
  for (size_t i = 0; i < count; ++i) {
    ContainerSummary& s = summaries[i];
    Status& read = reads[i];
    // A live state without its monitor: load_container records the exit.
    if (orphaned[i]) {
      auto full = load_container(store, s.id);
      auto summary = full.ok() ? summarize_container(*full) : Result<ContainerSummary>(full.error());
      if (summary.ok())
        s = std::move(*summary);
      else
        read = std::move(summary).error();
    }
    if (!read.ok()) {
      // Gone meanwhile (rm) is no news; anything else is worth a word.
      struct stat st;
      if (::fstatat(dir_fd.get(), s.id.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
        warn("skipping container `{}`: {}", s.id, read.error().text());
      continue;
    }
    if (keep && !keep(s)) continue;
    if (kept != i) summaries[kept] = std::move(s);
    ++kept;
  }
  // Newest first; the ID orders equal times. Their positions are sorted,
  // then each summary moved once (moving one is moving 13 strings).
  std::vector<size_t> order(kept);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const ContainerSummary &x = summaries[a], &y = summaries[b];
    return x.created != y.created ? x.created > y.created : x.id > y.id;
  });
  std::vector<ContainerSummary> sorted;
  sorted.reserve(kept);
  for (size_t i : order) sorted.push_back(std::move(summaries[i]));
  return sorted;
}

}  // namespace skiff
