#include "image/layer_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/sha256.h"
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

Result<PendingLayer> PendingLayer::extract(const Store& store, const std::string& parent_chain,
                                           const LayerFeed& feed) {
  std::string dir = store.layers_dir() + "/.tmp-" + random_hex(16);
  FileLock dir_lock;
  {
    // Created and locked under the store lock, so garbage collection (which
    // takes it too) never sees this folder unlocked.
    FileLock store_lock = TRY(store.lock());
    if (::mkdir(dir.c_str(), 0700) != 0) return errno_error("create `{}`", dir);
    dir_lock = TRY(FileLock::try_acquire_fd(TRY(open_directory(dir)), dir));
  }
  PendingLayer layer(store, dir, std::move(dir_lock));
  TRY(write_json_atomically(dir + "/layer.json", Json{{"complete", false}, {"pid", ::getpid()}}));
  if (::mkdir((dir + "/diff").c_str(), 0755) != 0) return errno_error("create `{}/diff`", dir);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno_error("create pipe");
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  ::fcntl(write_end.get(), F_SETPIPE_SZ, 1 << 20);  // fewer wake-ups; fine if refused

  std::string diff_dir = dir + "/diff";
  int writer_fd = write_end.get();
  // Child: in the containers' user namespace, as its root; reads the tar
  // from the pipe and writes only below diff/.
  UsernsChild child = TRY(UsernsChild::start(current_id_mapping(), [&](SyncSocket& sock) -> Status {
    ::close(writer_fd);  // or we would never see the end of the stream
    UniqueFd root = TRY(open_directory(diff_dir));
    ExtractReport report = TRY(extract_tar_layer(read_end.get(), root.get()));
    return sock.send(SyncSocket::Kind::kValue, to_compact_json(report.to_json()));
  }));
  read_end.reset();

  // Parent: source -> compressed digest -> inflate -> diff digest -> pipe.
  FdSink to_child(write_end.get());
  DigestingSink uncompressed(to_child);
  InflatingSink inflater(uncompressed);
  DigestingSink compressed(inflater);
  Status fed = feed(compressed);
  write_end.reset();
  auto values = child.finish();
  if (!fed.ok()) return std::move(fed).error();
  if (!values.ok()) return std::move(values).error();
  if (values->empty()) return make_error("extractor reported nothing");

  layer.report_ = ExtractReport::from_json(TRY(parse_json(values->front(), "extract report")));
  layer.compression_ = inflater.compression();
  layer.compressed_digest_ = compressed.digest();
  layer.record_.diff_id = uncompressed.digest();
  layer.record_.size = uncompressed.size();
  layer.record_.parent = parent_chain;
  layer.record_.chain_id = chain_id_of(parent_chain, layer.record_.diff_id);
  layer.record_.complete = true;
  TRY(write_json_atomically(dir + "/layer.json", layer.record_.to_json()));
  return layer;
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
