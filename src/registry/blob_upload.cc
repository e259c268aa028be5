#include "registry/blob_upload.h"

#include <cstdlib>
#include <thread>

namespace skiff {

size_t upload_chunk_size() {
  if (const char* text = std::getenv("SKIFF_PUSH_CHUNK_SIZE")) {
    char* end = nullptr;
    unsigned long long n = std::strtoull(text, &end, 10);
    if (end != text && *end == '\0' && n >= 1024 && n <= (1ull << 32)) return size_t(n);
  }
  return 16 << 20;
}

BlobUploadSink::BlobUploadSink(RegistryClient& client, std::string repo, size_t chunk_size)
    : client_(client), repo_(std::move(repo)), chunk_size_(chunk_size) {
  buffer_.reserve(chunk_size_);
}

BlobUploadSink::~BlobUploadSink() {
  if (!finished_ && !location_.empty()) client_.cancel_upload(location_);
}

Status BlobUploadSink::fail(Failure why, Error error) {
  failure_ = why;
  return error;
}

Status BlobUploadSink::write(std::span<const uint8_t> data) {
  hash_.update(data.data(), data.size());
  size_ += data.size();
  while (!data.empty()) {
    size_t take = std::min(data.size(), chunk_size_ - buffer_.size());
    buffer_.insert(buffer_.end(), data.begin(), data.begin() + take);
    data = data.subspan(take);
    // A full chunk goes when more comes: the last one rides with the PUT.
    if (buffer_.size() == chunk_size_ && !data.empty()) TRY(send_chunk());
  }
  return {};
}

Status BlobUploadSink::start() {
  if (!location_.empty()) return {};
  auto started = client_.start_upload(repo_);
  if (!started.ok()) return fail(Failure::kOther, std::move(started).error());
  location_ = started->location;
  return {};
}

Status BlobUploadSink::send_chunk() {
  TRY(start());
  auto answer = client_.upload_chunk(location_, offset_, buffer_);
  if (!answer.ok()) return fail(Failure::kTransient, std::move(answer).error().wrap("upload a chunk"));
  if (answer->status != 202) {
    // The first chunk refused as such: a registry that takes blobs whole only.
    bool refused = offset_ == 0 && (answer->status == 400 || answer->status == 405 || answer->status == 416 ||
                                    answer->status == 501);
    Failure why = refused                               ? Failure::kChunksRefused
                  : is_transient_status(answer->status) ? Failure::kTransient
                                                        : Failure::kOther;
    return fail(why, client_.status_error(*answer).wrap("upload a chunk"));
  }
  offset_ += buffer_.size();
  buffer_.clear();
  if (std::string range = answer->header("range"); !range.empty()) {
    auto held = range_end(range);
    if (!held.ok()) return fail(Failure::kOther, std::move(held).error());
    if (*held != offset_)
      return fail(Failure::kTransient,
                  make_error("upload a chunk: the registry holds {} bytes, not the {} sent", *held, offset_));
  }
  if (std::string next = answer->header("location"); !next.empty()) location_ = client_.url_for(next);
  return {};
}

Status BlobUploadSink::finish() {
  digest_ = hash_.digest();
  TRY(start());
  auto answer = client_.finish_upload(location_, digest_, buffer_);
  if (answer.ok() && (answer->status == 201 || answer->status == 204)) {
    finished_ = true;
    return {};
  }
  // The answer may be what got lost: the registry may have the blob.
  if (!answer.ok() || is_transient_status(answer->status)) {
    if (auto there = client_.has_blob(repo_, digest_); there.ok() && *there) {
      finished_ = true;
      return {};
    }
    return fail(Failure::kTransient, answer.ok() ? client_.status_error(*answer).wrap("complete the upload")
                                                 : std::move(answer).error().wrap("complete the upload"));
  }
  return fail(Failure::kOther, client_.status_error(*answer).wrap("complete the upload"));
}

Status upload_whole_blob(RegistryClient& client, const std::string& repo, const std::string& digest,
                         std::span<const uint8_t> data) {
  for (int attempt = 1;; ++attempt) {
    UploadStart started = TRY(client.start_upload(repo));
    auto answer = client.finish_upload(started.location, digest, data);
    if (answer.ok() && (answer->status == 201 || answer->status == 204)) return {};
    bool transient = !answer.ok() || is_transient_status(answer->status);
    if (transient)
      if (auto there = client.has_blob(repo, digest); there.ok() && *there) return {};
    Error error = answer.ok() ? client.status_error(*answer) : std::move(answer).error();
    if (!transient || attempt == RegistryClient::kBlobAttempts) return error.wrap("upload blob {}", digest);
    client.cancel_upload(started.location);
    std::this_thread::sleep_for(client.retry_delay() * (1 << (attempt - 1)));
  }
}

}  // namespace skiff
