#include "image/layer_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "base/fs.h"
#include "base/output.h"
#include "base/sha256.h"
#include "image/tar_recipe.h"
#include "linux/userns.h"

namespace skiff {

Json LayerRecord::to_json() const {
  return Json{{"chain_id", chain_id}, {"diff_id", diff_id}, {"parent", parent},
              {"size", size},         {"complete", complete}};
}

Result<LayerRecord> LayerRecord::from_json(const Json& json) {
  try {
    LayerRecord r;
    r.chain_id = json.at("chain_id").get<std::string>();
    r.diff_id = json.at("diff_id").get<std::string>();
    r.parent = json.value("parent", "");
    r.size = json.value("size", uint64_t(0));
    r.complete = json.value("complete", false);
    return r;
  } catch (const Json::exception& e) {
    return make_error("malformed layer record: {}", e.what());
  }
}

std::string chain_id_of(const std::string& parent_chain, const std::string& diff_id) {
  if (parent_chain.empty()) return diff_id;
  return sha256_digest(parent_chain + " " + diff_id);
}

LayerFeed user_namespace_feed(std::function<Status(int out_fd)> write_tar) {
  return [write_tar = std::move(write_tar)](ByteSink& sink) -> Status {
    auto values = stream_from_user_namespace(
        current_id_mapping(), [&](int out_fd, SyncSocket&) { return write_tar(out_fd); },
        [&](std::span<const uint8_t> data) { return sink.write(data); });
    if (!values.ok()) return std::move(values).error();
    return sink.finish();
  };
}

Result<LayerRecord> load_layer(const Store& store, const std::string& chain_id) {
  if (!is_sha256_digest(chain_id)) return make_error("invalid layer ID `{}`", chain_id);
  std::string path = store.layer_dir(chain_id) + "/layer.json";
  Json json = TRY(read_json_file(path));
  LayerRecord record = TRY(LayerRecord::from_json(json));
  if (!record.complete || record.chain_id != chain_id)
    return make_error("layer {} is incomplete or damaged", chain_id);
  return record;
}

PendingLayer::~PendingLayer() {
  if (committed_ || dir_.empty()) return;
  (void)remove_layer_trees({dir_});
}

struct LayerExtraction::State {
  PendingLayer layer;
  std::string parent_chain;
  std::optional<UsernsChild> child;
  UniqueFd write_end;
  // The pipeline, each stage writing into the next (so never moved).
  std::optional<FdSink> to_child;
  std::optional<TarRecipeRecorder> recipe;
  std::optional<DigestingSink> uncompressed;
  std::optional<InflatingSink> inflater;
  std::optional<DigestingSink> compressed;
};

LayerExtraction::LayerExtraction(std::unique_ptr<State> state) : state_(std::move(state)) {}
LayerExtraction::LayerExtraction(LayerExtraction&&) noexcept = default;
LayerExtraction::~LayerExtraction() = default;

Result<LayerExtraction> LayerExtraction::start(const Store& store, const std::string& parent_chain) {
  std::string dir = store.layers_dir() + "/.tmp-" + random_hex(16);
  FileLock dir_lock;
  {
    // Created and locked under the store lock, so garbage collection (which
    // takes it too) never sees this folder unlocked.
    FileLock store_lock = TRY(store.lock());
    if (::mkdir(dir.c_str(), 0700) != 0) return errno_error("create `{}`", dir);
    dir_lock = TRY(FileLock::try_acquire_fd(TRY(open_directory(dir)), dir));
  }
  auto state = std::unique_ptr<State>(new State{PendingLayer(store, dir, std::move(dir_lock)), parent_chain, {}, {}, {}, {}, {}, {}, {}});
  TRY(write_json_atomically(dir + "/layer.json", Json{{"complete", false}, {"pid", ::getpid()}}));
  if (::mkdir((dir + "/diff").c_str(), 0755) != 0) return errno_error("create `{}/diff`", dir);
  // Where the extractor moves what later entries replace (image/tar_recipe.h).
  std::string stash_dir = dir + "/" + kTarStashDir;
  if (::mkdir(stash_dir.c_str(), 0700) != 0) return errno_error("create `{}`", stash_dir);
  std::string recipe_path = dir + "/" + kTarRecipeFile;
  UniqueFd recipe(::open(recipe_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!recipe) return errno_error("create `{}`", recipe_path);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno_error("create pipe");
  UniqueFd read_end(pipe_fds[0]);
  state->write_end.reset(pipe_fds[1]);
  ::fcntl(state->write_end.get(), F_SETPIPE_SZ, 1 << 20);  // fewer wake-ups; fine if refused

  std::string diff_dir = dir + "/diff";
  // Child: in the containers' user namespace, as its root; reads the tar
  // from the pipe and writes only below diff/. Every other descriptor is
  // closed first: a write end of another extraction's pipe, inherited,
  // would keep that extractor from ever seeing its stream end.
  state->child.emplace(TRY(UsernsChild::start(current_id_mapping(), [&](SyncSocket& sock) -> Status {
    int keep[2] = {std::min(read_end.get(), sock.fd()), std::max(read_end.get(), sock.fd())};
    ::syscall(SYS_close_range, 3, keep[0] - 1, 0);
    ::syscall(SYS_close_range, keep[0] + 1, keep[1] - 1, 0);
    ::syscall(SYS_close_range, keep[1] + 1, ~0U, 0);
    UniqueFd root = TRY(open_directory(diff_dir));
    UniqueFd stash = TRY(open_directory(stash_dir));
    ExtractReport report = TRY(extract_tar_layer(read_end.get(), root.get(), stash.get()));
    return sock.send(SyncSocket::Kind::kValue, to_compact_json(report.to_json()));
  })));
  read_end.reset();
  state->to_child.emplace(state->write_end.get());
  state->recipe.emplace(std::move(recipe), *state->to_child);
  state->uncompressed.emplace(*state->recipe);
  state->inflater.emplace(*state->uncompressed);
  state->compressed.emplace(*state->inflater);
  return LayerExtraction(std::move(state));
}

ByteSink& LayerExtraction::input() { return *state_->compressed; }

Result<PendingLayer> LayerExtraction::finish(Status fed) {
  State& s = *state_;
  s.write_end.reset();
  auto values = s.child->finish();
  if (!fed.ok()) return std::move(fed).error();
  if (!values.ok()) return std::move(values).error();
  if (values->empty()) return make_error("extractor reported nothing");

  PendingLayer& layer = s.layer;
  layer.report_ = ExtractReport::from_json(TRY(parse_json(values->front(), "extract report")));
  layer.compression_ = s.inflater->compression();
  layer.compressed_digest_ = s.compressed->digest();
  layer.record_.diff_id = s.uncompressed->digest();
  layer.record_.size = s.uncompressed->size();
  layer.record_.parent = s.parent_chain;
  layer.record_.chain_id = chain_id_of(s.parent_chain, layer.record_.diff_id);
  layer.record_.complete = true;
  // The recipe stands only if it names exactly the files the extractor wrote.
  std::string stash_dir = layer.dir_ + "/" + kTarStashDir;
  if (s.recipe->bodies_digest() != layer.report_.bodies_digest) {
    std::string why = s.recipe->gave_up();
    if (why.empty())
      why = fmt::format("the tar lists {} files, the extractor wrote {}", s.recipe->bodies(), layer.report_.bodies);
    warn("layer {}: its tar could not be recorded ({}): it can't be written back byte for byte",
         digest_hex(layer.record_.chain_id).substr(0, 12), why);
    if (::unlink((layer.dir_ + "/" + kTarRecipeFile).c_str()) != 0) return errno_error("remove the tar recipe");
    TRY(remove_tree(stash_dir));
  } else if (layer.report_.stashed_bodies == 0 && ::rmdir(stash_dir.c_str()) != 0) {
    return errno_error("remove `{}`", stash_dir);
  }
  TRY(write_json_atomically(layer.dir_ + "/layer.json", layer.record_.to_json()));
  return std::move(layer);
}

Result<PendingLayer> PendingLayer::extract(const Store& store, const std::string& parent_chain,
                                           const LayerFeed& feed) {
  LayerExtraction extraction = TRY(LayerExtraction::start(store, parent_chain));
  Status fed = feed(extraction.input());
  return extraction.finish(std::move(fed));
}

Status PendingLayer::commit() {
  std::string target = store_->layer_dir(record_.chain_id);
  if (load_layer(*store_, record_.chain_id).ok()) return {};  // an equal layer is there: ours goes
  if (path_exists(target)) {
    // A damaged folder under the final name: move it aside, then replace it.
    std::string trash = store_->layers_dir() + "/.trash-" + random_hex(16);
    if (::rename(target.c_str(), trash.c_str()) != 0) return errno_error("move aside `{}`", target);
  }
  if (::rename(dir_.c_str(), target.c_str()) != 0) return errno_error("rename `{}` to `{}`", dir_, target);
  committed_ = true;
  return sync_directory(store_->layers_dir());
}

Status remove_layer_trees(const std::vector<std::string>& paths) {
  auto result = run_in_user_namespace(current_id_mapping(), [&](SyncSocket&) -> Status {
    for (const auto& path : paths) TRY(remove_tree(path));
    return {};
  });
  if (!result.ok()) return std::move(result).error().wrap("remove layers");
  return {};
}

Result<std::vector<std::string>> trash_layers(const Store& store, const std::vector<std::string>& chain_ids) {
  std::vector<std::string> out;
  for (const auto& chain : chain_ids) {
    std::string from = store.layer_dir(chain);
    std::string to = store.layers_dir() + "/.trash-" + random_hex(16);
    if (::rename(from.c_str(), to.c_str()) != 0) {
      if (errno == ENOENT) continue;
      return errno_error("remove layer `{}`", chain);
    }
    out.push_back(to);
  }
  return out;
}

uint64_t layers_size(const Store& store, const std::vector<std::string>& chain_ids) {
  uint64_t total = 0;
  for (const auto& chain : chain_ids)
    if (auto layer = load_layer(store, chain); layer.ok()) total += layer->size;
  return total;
}

}  // namespace skiff
