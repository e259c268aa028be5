// COPY from the build context: which context entries a COPY takes, the key
// that says whether their content changed, and the layer they make.
//
// The layer is a tar written by a child in the containers' user namespace,
// which reads the context through descriptors (nothing outside it is ever
// opened, whatever its symlinks say) and the image's layers (ImageTree) to
// place the files as docker does: into an existing folder, through the
// image's own symlinks, under parent folders that keep their metadata.
#pragma once

#include <cstdint>
#include <map>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "build/build_ignore.h"
#include "image/layer_store.h"

namespace skiff {

/// One context entry a COPY takes.
struct ContextCopyItem {
  const ContextEntry* entry = nullptr;
  std::string under;  ///< its path below its source folder; "" for the source itself
  bool from_folder = false;  ///< the source was a folder: its contents go into the destination
};

struct ContextCopyPlan {
  std::vector<ContextCopyItem> items;
  bool destination_is_folder = false;  ///< several sources, a wildcard, or a trailing "/"
};

/// docker's refusal of `count` sources of `instruction` (COPY, ADD) when
/// there are several and `destination` doesn't end in "/"; {} otherwise.
Status check_several_sources(std::string_view instruction, size_t count, const std::string& destination);

/// The entries `sources` (context-relative, as expanded; wildcards as Go's
/// filepath.Match) of `instruction` name in `context` (walk_context's
/// list, sorted). A source outside the context, one that matches nothing,
/// or several sources into a destination without a trailing "/" is an
/// error worded as docker's.
Result<ContextCopyPlan> plan_context_copy(std::string_view instruction, const std::vector<ContextEntry>& context,
                                          const std::vector<std::string>& sources, const std::string& destination);

/// The first `size` bytes of context file `rel` (fewer when it is shorter).
Result<std::string> read_context_head(const std::string& context_dir, const std::string& rel, size_t size);

/// Content digests of context files, remembered by path with the metadata
/// they were taken with: a file whose size, mtime, inode and mode are
/// unchanged is not read again.
class FileDigests {
 public:
  /// Loads what `cache_file` remembers (nothing when it is missing or bad;
  /// "" for no cache file).
  FileDigests(std::string context_dir, std::string cache_file);
  /// "sha256:..." of the file's content.
  Result<std::string> digest(const ContextEntry& entry);
  /// Writes what was learnt back to the cache file (when anything changed).
  Status save() const;

 private:
  struct Known {
    uint64_t size;
    int64_t mtime_ns;
    uint64_t inode;
    uint32_t mode;
    std::string digest;
  };
  std::string context_dir_;
  std::string cache_file_;
  std::unordered_map<std::string, Known> known_;
  bool changed_ = false;
};

/// What a COPY's cache key depends on: every item's name, type, mode,
/// content digest or link target, with the destination and options.
Result<std::string> copy_content_key(const ContextCopyPlan& plan, FileDigests& digests);

struct CopyDestination {
  std::string destination;  ///< absolute, clean; a trailing "/" kept
  std::string chown;        ///< --chown USER[:GROUP] ("" for 0:0), resolved in the image
  std::optional<uint32_t> chmod;
};

/// A file a step made (a download, a heredoc), to be placed as `name`.
struct MadeFile {
  std::string path;  ///< where it is now: read by the child by this path
  std::string name;  ///< its name in a destination folder
  uint32_t mode = 0644;
};

/// One source of a COPY or ADD.
struct CopyPart {
  enum class Kind { kContext, kArchive, kFile };
  Kind kind = Kind::kContext;
  ContextCopyPlan plan;  ///< kContext: context entries, copied as they are
  /// kArchive: a context file holding a tar (plain, gzip, zstd, xz, bzip2),
  /// unpacked with its owners unless --chown; a member climbing out with
  /// `..` is an error.
  std::string archive;
  MadeFile file;  ///< kFile: a file the step made
};

/// The layer's tar: `parts` in order (context files read from
/// `context_dir`), placed under `target` in the image whose layers are
/// `diff_dirs` (bottom first). The destination is a folder when
/// `into_folder` (several sources) or `target` ends in "/", and when a part
/// copies a folder or a wildcard's matches or unpacks an archive.
LayerFeed copy_layer_feed(const std::string& context_dir, const std::vector<CopyPart>& parts,
                          const CopyDestination& target, bool into_folder, const std::vector<std::string>& diff_dirs);

/// WORKDIR's folder: a tar of the folders on its way that the image lacks
/// (an empty tar when it has them all).
LayerFeed folder_layer_feed(const std::string& folder, const std::vector<std::string>& diff_dirs);

/// The size of an empty layer tar: the two end blocks.
inline constexpr uint64_t kEmptyTarSize = 1024;

/// COPY --from: `sources` (paths in the image whose layers are
/// `source_dirs`, bottom first; symlinks followed inside it, a wildcard in
/// the last component) placed as copy_layer_feed places context files,
/// their owners kept unless --chown says.
LayerFeed image_copy_layer_feed(const std::vector<std::string>& source_dirs, const std::vector<std::string>& sources,
                                const CopyDestination& target, const std::vector<std::string>& diff_dirs);

}  // namespace skiff
