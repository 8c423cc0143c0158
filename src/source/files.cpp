#include "source/files.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <system_error>
#include <utility>

#include "base/strings.h"
#include "model/decode.h"
#include "store/object_store.h"

namespace gatehouse::source {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxFileBytes = 64u << 20;  // 64 MiB: far beyond any sane manifest

void add_error(const std::string& file, std::string message, model::Diagnostics& diagnostics) {
  model::Diagnostic d;
  d.origin.file = file;
  d.message = std::move(message);
  diagnostics.push_back(std::move(d));
}

bool is_manifest_name(const std::string& name) {
  if (name.empty() || name.front() == '.') return false;  // hidden, e.g. a ConfigMap's ..data
  return ends_with(name, ".yaml") || ends_with(name, ".yml") || ends_with(name, ".json");
}

// The manifests directly inside `dir`, sorted by name. Symlinks are followed (a ConfigMap
// volume's visible files are links into its hidden ..data directory).
std::vector<std::string> list_directory(const std::string& dir, model::Diagnostics& diagnostics,
                                        std::vector<std::string>* unlisted) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!is_manifest_name(name)) continue;
    std::error_code status_ec;
    // A plain file is known from the directory entry's type, without a stat (10,000 files
    // cost 10,000 syscalls otherwise); links and the rest are stat'ed below.
    if (!it->is_symlink(status_ec) && it->is_regular_file(status_ec) && !status_ec) {
      names.push_back(std::move(name));
      continue;
    }
    status_ec.clear();
    fs::file_status status = fs::status(it->path(), status_ec);  // follows the link
    if (status_ec || !fs::exists(status)) {
      add_error(it->path().string(), "cannot read: a dangling link or missing file", diagnostics);
      continue;
    }
    if (fs::is_regular_file(status)) names.push_back(std::move(name));
  }
  if (ec) {
    add_error(dir, "cannot list directory: " + ec.message(), diagnostics);
    if (unlisted) unlisted->push_back(dir);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> files;
  files.reserve(names.size());
  for (const auto& name : names) files.push_back((fs::path(dir) / name).string());
  return files;
}

}  // namespace

std::optional<std::string> read_manifest_file(const std::string& file,
                                              model::Diagnostics& diagnostics) {
  std::error_code ec;
  if (fs::is_regular_file(file, ec) && fs::file_size(file, ec) > kMaxFileBytes && !ec) {
    add_error(file, "larger than 64 MiB; skipped", diagnostics);
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    add_error(file, std::string("cannot open: ") + std::strerror(errno), diagnostics);
    return std::nullopt;
  }
  // Read in chunks rather than trusting the size: pipes and /proc files have none.
  std::string text;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes) {
      add_error(file, "larger than 64 MiB; skipped", diagnostics);
      return std::nullopt;
    }
  }
  if (in.bad()) {
    add_error(file, "read failed", diagnostics);
    return std::nullopt;
  }
  return text;
}

std::vector<std::string> expand_manifest_paths(const std::vector<std::string>& paths,
                                               model::Diagnostics& diagnostics,
                                               std::vector<std::string>* unlisted) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status)) {
      add_error(path, "no such file or directory", diagnostics);
      continue;
    }
    if (fs::is_directory(status)) {
      for (auto& file : list_directory(path, diagnostics, unlisted))
        files.push_back(std::move(file));
    } else {
      files.push_back(path);  // named explicitly: read whatever its name or type
    }
  }
  return files;
}

Loaded load_manifests(const std::vector<std::string>& paths) {
  Loaded loaded;
  model::Objects decoded;
  for (const std::string& file : expand_manifest_paths(paths, loaded.diagnostics)) {
    if (auto text = read_manifest_file(file, loaded.diagnostics))
      model::decode_manifest(*text, file, decoded, loaded.diagnostics);
  }
  store::ObjectStore store;
  store.put(std::move(decoded), loaded.diagnostics);
  loaded.objects = store.snapshot();
  return loaded;
}

}  // namespace gatehouse::source
