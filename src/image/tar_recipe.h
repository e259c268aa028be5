// Tar recipes: how a layer's tar is rebuilt, byte for byte, from the files
// it was extracted into (image/layer_tar.h). A layer's diff ID is the digest
// of that tar, so push and save must reproduce it exactly; keeping the tar
// itself would double the store's size.
//
// While a layer streams into the extractor, TarRecipeRecorder reads the same
// bytes, parses the tar's 512-byte blocks as libarchive does (ustar, GNU and
// old headers; pax 'x'/'g' records with `path` and `size`; GNU 'L'/'K' long
// names; base-256 numbers; GNU sparse maps) and writes down every byte that
// is not the content of a regular file, and for each regular file whose
// content the extractor writes as it is (a "body"), where that file is.
//
// The format, compressed as one zstd frame (layers/<chain>/tar-recipe):
//
//   "skiff-tar-recipe-1\n"
//   'R' n data         n raw bytes of the tar (headers, pax records, padding,
//                      end blocks, anything after them, and the contents the
//                      extractor does not keep as they are)
//   'F' size len path  `size` bytes: the content of diff/<path>, or of
//                      stash/<k> when that exists, k being this body's index
//                      among the 'F' steps (from 0)
//   'E' total          the end; `total` is the tar's size
//
// with n, size, len and total as unsigned LEB128 varints and `path` the
// entry's clean name (layer_entry_name). Headers compress about tenfold, so
// a layer of 10,000 files has a recipe of a few hundred kilobytes.
//
// What is never referenced, and so kept raw: whiteouts and opaque markers
// (the extractor makes no file of them), hard links and symlinks carrying
// data, sparse files, entries named like folders, anything after a block the
// parser does not understand. A name reused later in the tar (a duplicate,
// a whiteout of a file of the same layer, a folder replaced by a file) would
// leave the reference pointing at the wrong content: the extractor moves
// whatever it replaces to a stash and links each body that lost its name as
// stash/<k>. Parser and extractor each hash their list of bodies (path and
// size, in order: BodyListDigest); when the lists differ the recipe is
// dropped, so a recipe never names a file the extractor did not write.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "image/stream.h"

namespace skiff {

/// A layer's recipe, beside its diff/ folder.
inline constexpr const char* kTarRecipeFile = "tar-recipe";
/// Bodies whose name a later entry took: stash/<index>.
inline constexpr const char* kTarStashDir = "stash";

/// A stage of the extraction pipeline: passes every byte on to `next`
/// unchanged and writes the recipe of the tar stream to `recipe_fd`.
class TarRecipeRecorder : public ByteSink {
 public:
  TarRecipeRecorder(UniqueFd recipe_fd, ByteSink& next);
  ~TarRecipeRecorder() override;
  Status write(std::span<const uint8_t> data) override;
  /// Completes and writes out the recipe, then finishes `next`.
  Status finish() override;

  /// After finish(): how many bodies the recipe references, and the
  /// BodyListDigest of them (to compare with the extractor's).
  uint64_t bodies() const;
  std::string bodies_digest() const;
  /// Why the parser stopped referencing bodies ("" when it never did).
  const std::string& gave_up() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
  ByteSink& next_;
};

/// One step of a recipe.
struct RecipeStep {
  enum class Kind { kRaw, kBody, kEnd };
  Kind kind = Kind::kEnd;
  std::span<const uint8_t> raw;  ///< kRaw: valid until the next call to next()
  std::string path;              ///< kBody: the clean path inside diff/
  uint64_t size = 0;             ///< kBody: its bytes; kEnd: the tar's size
  uint64_t index = 0;            ///< kBody: its index among the bodies
};

/// Reads a recipe's steps in order. Raw bytes come in pieces of at most
/// 1 MiB, so a recipe with large raw parts is never held whole.
class TarRecipeReader {
 public:
  /// Reads from `fd` (not owned), from its current offset.
  explicit TarRecipeReader(int fd);
  ~TarRecipeReader();
  /// The next step; a damaged or truncated recipe is an error. After kEnd,
  /// kEnd again.
  Result<RecipeStep> next();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace skiff
