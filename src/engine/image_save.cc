// skiff save: images from the store into one docker-archive or OCI layout
// tar, streamed. Each layer goes out as the exact tar it was extracted from
// (image/layer_tar.h replays its recipe), so its digest is still the diff
// ID its config names and the saved image keeps its ID. The tar header
// needs a member's size before its bytes; the layer record has it. Only a
// layer without a recipe (extracted before skiff kept them) is rebuilt from
// its files into a spool file first, to learn its size and new digest.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>

#include "base/fs.h"
#include "base/output.h"
#include "base/sha256.h"
#include "engine/image_archive.h"
#include "engine/image_tars.h"
#include "image/archive_manifest.h"
#include "image/image_store.h"
#include "image/reference.h"
#include "image/spool_file.h"

namespace skiff {

namespace {

// The tar that save writes: folders and regular files with short names
// (at most "blobs/sha256/<64 hex>"), so a ustar header says all of it; a
// size of 8 GiB or more goes in base-256, which GNU tar, libarchive and Go
// all read. (libarchive's writer, linked statically, would bring every
// format it has.) Owner root, mode 0644, time 0: the same images give the
// same archive.
class ArchiveWriter {
 public:
  explicit ArchiveWriter(ByteSink& out) : out_(out) {}

  Status add_directory(const std::string& path) { return header(path + "/", '5', 0755, 0); }

  Status add_file(const std::string& path, std::string_view data) {
    return add_stream(path, data.size(), [&](ByteSink& sink) -> Status {
      TRY(sink.write({reinterpret_cast<const uint8_t*>(data.data()), data.size()}));
      return sink.finish();
    });
  }

  // A member of `size` bytes whose content `fill` writes (then finish()).
  Status add_stream(const std::string& path, uint64_t size, const std::function<Status(ByteSink&)>& fill) {
    TRY(header(path, '0', 0644, size));
    MemberSink member(out_, size);
    Status filled = fill(member);
    // The output's own failure (a closed pipe, a full disk) is not the member's.
    if (!filled.ok())
      return member.output_failed() ? std::move(filled) : std::move(filled).wrap("write `{}`", path);
    if (member.written() != size)
      return make_error("write `{}`: {} bytes came where {} were announced", path, member.written(), size);
    static const uint8_t kZeros[kBlock] = {};
    return out_.write({kZeros, (kBlock - size % kBlock) % kBlock});
  }

  // The two zero blocks that end a tar, then out.finish().
  Status close() {
    static const uint8_t kEnd[2 * kBlock] = {};
    TRY(out_.write({kEnd, sizeof kEnd}));
    return out_.finish();
  }

 private:
  static constexpr size_t kBlock = 512;

  // One member's content: never more than its header announced.
  class MemberSink : public ByteSink {
   public:
    MemberSink(ByteSink& out, uint64_t size) : out_(out), size_(size) {}
    Status write(std::span<const uint8_t> data) override {
      if (written_ + data.size() > size_) return make_error("more bytes came than the {} announced", size_);
      written_ += data.size();
      Status s = out_.write(data);
      output_failed_ = !s.ok();
      return s;
    }
    Status finish() override { return {}; }
    uint64_t written() const { return written_; }
    bool output_failed() const { return output_failed_; }

   private:
    ByteSink& out_;
    uint64_t size_;
    uint64_t written_ = 0;
    bool output_failed_ = false;
  };

  Status header(const std::string& name, char type, uint32_t mode, uint64_t size) {
    if (name.size() > 100) return make_error("the member name `{}` is too long for a ustar header", name);
    uint8_t h[kBlock] = {};
    auto octal = [&](size_t at, size_t width, uint64_t value) {
      for (size_t i = width - 1; i-- > 0; value >>= 3) h[at + i] = uint8_t('0' + (value & 7));
    };
    std::memcpy(h, name.data(), name.size());
    octal(100, 8, mode);
    octal(108, 8, 0);
    octal(116, 8, 0);
    if (size < (uint64_t(1) << 33)) {
      octal(124, 12, size);
    } else {
      h[124] = 0x80;
      for (size_t i = 135; i > 124; --i, size >>= 8) h[i] = uint8_t(size & 0xff);
    }
    octal(136, 12, 0);
    h[156] = uint8_t(type);
    static constexpr char kMagic[8] = {'u', 's', 't', 'a', 'r', '\0', '0', '0'};  // "ustar", version "00"
    std::memcpy(h + 257, kMagic, sizeof kMagic);
    std::memset(h + 148, ' ', 8);
    uint32_t sum = 0;
    for (uint8_t b : h) sum += b;
    octal(148, 7, sum);
    return out_.write({h, kBlock});
  }

  ByteSink& out_;
};

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

struct Selected {
  ImageRecord image;
  std::vector<std::string> names;  // canonical, the ones asked for
  std::string asked_as;            // how the user named it, for messages
};

// docker's rules: a name without a tag means every tag of that repository
// (when it has any); an ID or a digest reference saves the image without a
// name; a tag once however often it is asked for.
Result<std::vector<Selected>> select_images(const Store& store, const std::vector<std::string>& args) {
  std::vector<Selected> out;
  auto add = [&](const ImageRecord& image, const std::string& name, const std::string& arg) {
    auto it = std::find_if(out.begin(), out.end(), [&](const Selected& s) { return s.image.id == image.id; });
    if (it == out.end()) {
      out.push_back({image, {}, arg});
      it = out.end() - 1;
    }
    if (!name.empty() && !contains(it->names, name)) it->names.push_back(name);
  };
  std::vector<ImageRecord> all = TRY(list_images(store));
  for (const auto& arg : args) {
    auto ref = ImageReference::parse(arg);
    if (ref.ok() && ref->tag.empty() && ref->digest.empty()) {
      bool any = false;
      for (const auto& image : all)
        for (const auto& n : image.names)
          if (auto named = ImageReference::parse(n); named.ok() && named->name() == ref->name()) {
            add(image, n, arg);
            any = true;
          }
      if (any) continue;
    }
    ImageRecord image = TRY(find_image(store, arg));
    std::string name;
    if (auto tagged = ImageReference::parse_with_default_tag(arg); tagged.ok() && tagged->digest.empty())
      if (contains(image.names, tagged->string())) name = tagged->string();
    add(image, name, arg);
  }
  return out;
}

struct Prepared {
  std::vector<ArchiveImage> images;
  std::map<std::string, std::string> configs;            // digest -> bytes
  std::vector<std::pair<std::string, LayerTar>> layers;  // digest -> its tar, each digest once
};

Result<Prepared> prepare(const Store& store, const std::vector<Selected>& selected) {
  Prepared out;
  RebuiltLayers rebuilt;
  for (const auto& s : selected) {
    ImageTars tars = TRY(image_tars(store, s.image, s.asked_as, rebuilt));
    ArchiveImage entry{.config_digest = tars.config_digest,
                       .config_size = tars.config.size(),
                       .names = s.names,
                       .layers = {}};
    for (auto& layer : tars.layers) {
      entry.layers.push_back({layer.diff_id, layer.size});
      if (std::none_of(out.layers.begin(), out.layers.end(),
                       [&](const auto& l) { return l.first == layer.diff_id; }))
        out.layers.emplace_back(layer.diff_id, std::move(layer));
    }
    out.configs[tars.config_digest] = std::move(tars.config);
    out.images.push_back(std::move(entry));
  }
  return out;
}

Status write_blobs(ArchiveWriter& tar, const Store& store, const Prepared& p,
                   const std::vector<std::pair<std::string, std::string>>& manifests) {
  TRY(tar.add_directory("blobs"));
  TRY(tar.add_directory("blobs/sha256"));
  for (const auto& [digest, text] : manifests) TRY(tar.add_file(blob_member(digest), text));
  for (const auto& [digest, text] : p.configs) TRY(tar.add_file(blob_member(digest), text));
  for (const auto& [digest, layer] : p.layers)
    TRY(tar.add_stream(blob_member(digest), layer.size,
                       [&](ByteSink& sink) { return layer.write(store, sink); }));
  return {};
}

}  // namespace

Result<ArchiveFormat> parse_archive_format(std::string_view text) {
  if (text == "docker-archive") return ArchiveFormat::kDockerArchive;
  if (text == "oci-archive") return ArchiveFormat::kOciArchive;
  return make_error("unknown archive format `{}`: it is docker-archive or oci-archive", text);
}

Status save_images(const Store& store, const SaveOptions& options, ByteSink& out) {
  if (options.images.empty()) return make_error("no image to save");
  std::vector<Selected> selected = TRY(select_images(store, options.images));
  Prepared p = TRY(prepare(store, selected));
  ArchiveWriter tar(out);
  // Metadata first: a load reading a pipe then streams every layer.
  std::vector<std::pair<std::string, std::string>> manifests;
  if (options.format == ArchiveFormat::kDockerArchive) {
    TRY(tar.add_file("manifest.json", make_docker_archive_manifest(p.images)));
    TRY(tar.add_file("repositories", make_repositories(p.images)));
  } else {
    std::vector<std::pair<std::string, uint64_t>> index;
    for (const auto& image : p.images) {
      std::string manifest = make_oci_manifest(image);
      std::string digest = sha256_digest(manifest);
      index.emplace_back(digest, manifest.size());
      if (std::none_of(manifests.begin(), manifests.end(), [&](const auto& m) { return m.first == digest; }))
        manifests.emplace_back(digest, std::move(manifest));
    }
    TRY(tar.add_file("oci-layout", make_oci_layout_file()));
    TRY(tar.add_file("index.json", make_oci_layout_index(p.images, index)));
  }
  TRY(write_blobs(tar, store, p, manifests));
  return tar.close();
}

Status save_images_to(const Store& store, const SaveOptions& options, const std::string& output) {
  if (output.empty()) {
    FileSink sink(STDOUT_FILENO, "standard output");
    return save_images(store, options, sink);
  }
  struct stat st;
  if (::stat(output.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return make_error("`{}` is a directory: -o names the archive file", output);
  // 0666 and the umask, as any file a command creates.
  AtomicFile file = TRY(AtomicFile::create(output, 0666));
  FileSink sink(file.fd(), fmt::format("`{}`", output));
  TRY(save_images(store, options, sink));
  return std::move(file.commit()).wrap("write `{}`", output);
}

}  // namespace skiff
