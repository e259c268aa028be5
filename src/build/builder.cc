#include "build/builder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "base/fs.h"
#include "base/json.h"
#include "base/output.h"
#include "base/sha256.h"
#include "base/units.h"
#include "build/build_ignore.h"
#include "build/context_archive.h"
#include "build/copy_step.h"
#include "build/dockerfile.h"
#include "engine/container_start.h"
#include "engine/containers.h"
#include "engine/image_commit.h"
#include "engine/images.h"
#include "engine/log_reader.h"
#include "engine/pull.h"
#include "image/image_config.h"
#include "image/reference.h"
#include "image/spool_file.h"
#include "image/stream.h"
#include "registry/http.h"
#include "linux/path_in_root.h"

namespace skiff {

namespace {

// The image a stage has reached so far.
struct StepImage {
  std::string id;  ///< "" for scratch before any step
  Json config;
  std::vector<std::string> layers;
  uint64_t size = 0;
};

// A stage being built: its image, and the ARGs it declared.
struct StageRun {
  StepImage image;
  VariableMap args;
  bool cmd_set = false;  ///< CMD given in this stage (ENTRYPOINT then keeps it)
};

std::optional<std::string> env_value(const Json& config, const std::string& key) {
  const Json& settings = config.contains("config") ? config["config"] : Json();
  if (!settings.is_object() || !settings.contains("Env") || !settings["Env"].is_array()) return std::nullopt;
  for (const auto& item : settings["Env"]) {
    if (!item.is_string()) continue;
    const std::string& text = item.get_ref<const std::string&>();
    if (text.size() > key.size() && text.compare(0, key.size(), key) == 0 && text[key.size()] == '=')
      return text.substr(key.size() + 1);
  }
  return std::nullopt;
}

void set_env(Json& settings, const std::string& key, const std::string& value) {
  if (!settings.contains("Env") || !settings["Env"].is_array()) settings["Env"] = Json::array();
  for (auto& item : settings["Env"])
    if (item.is_string() && item.get<std::string>().starts_with(key + "=")) {
      item = key + "=" + value;
      return;
    }
  settings["Env"].push_back(key + "=" + value);
}

std::string short_image_id(const std::string& id) { return id.substr(id.find(':') + 1, 12); }

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

Json shell_of(const Json& config) {
  const Json& settings = config["config"];
  if (settings.contains("Shell") && settings["Shell"].is_array() && !settings["Shell"].empty())
    return settings["Shell"];
  return Json::array({"/bin/sh", "-c"});
}

int64_t duration_ns(const std::string& text) {
  auto seconds = parse_duration(text);
  return seconds && *seconds >= 0 ? int64_t(*seconds * 1e9) : -1;
}

// A file in the temporary folder, removed with this: a heredoc's body, a
// download. A child in the user namespace reads it by its path.
struct TempFile {
  std::string path;
  UniqueFd fd;
  static Result<std::unique_ptr<TempFile>> create(const std::string& what) {
    auto f = std::make_unique<TempFile>();
    f->path = temp_folder() + "/skiff-build-file-XXXXXX";
    f->fd.reset(::mkstemp(f->path.data()));
    if (!f->fd) {
      f->path.clear();
      return errno_error("make a file for {}", what);
    }
    return f;
  }
  static Result<std::unique_ptr<TempFile>> write(const std::string& content) {
    auto f = TRY(create("a heredoc"));
    TRY(write_all(f->fd.get(), content));
    return f;
  }
  ~TempFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

// ADD's download, with the name the URL gives it and its digest.
struct Download {
  std::unique_ptr<TempFile> file;
  std::string name, digest;
  static Result<std::unique_ptr<Download>> fetch(const std::string& url) {
    auto d = std::make_unique<Download>();
    d->file = TRY(TempFile::create(fmt::format("the download of `{}`", url)));
    std::string path = url.substr(0, url.find_first_of("?#"));
    d->name = path.substr(path.rfind('/') + 1);
    if (d->name.empty() || path.find('/', path.find("//") + 2) == std::string::npos) d->name = "__unnamed__";
    FileSink sink(d->file->fd.get(), "the download");
    DigestingSink hashed(sink);
    TRY(std::move(http_get_to_sink(url, hashed)).wrap("ADD `{}`", url));
    d->digest = hashed.digest();
    return d;
  }
};

class Builder {
 public:
  Builder(const Store& store, const BuildOptions& options) : store_(store), options_(options) {}

  Result<std::string> run() {
    TRY(read_inputs());
    std::vector<size_t> order = TRY(stages_to_build());
    total_steps_ = 0;
    for (size_t i : order) total_steps_ += 1 + dockerfile_.stages[i].instructions.size();
    TRY(make_directories(cache_dir(), 0700));
    for (size_t i : order) TRY(build_stage(i));
    StepImage final_image = *results_[order.back()];
    std::string id = TRY(finish(final_image));
    if (digests_) (void)digests_->save();
    warn_unused_args();
    return id;
  }

 private:
  // ---- inputs --------------------------------------------------------------

  Status read_inputs() {
    std::string text, name = "Dockerfile";
    bool text_read = false;
    if (options_.context == "-") {
      // Standard input holds a tar of the context, or only a Dockerfile.
      if (options_.dockerfile == "-") return make_error("the context and the Dockerfile can't both be standard input");
      std::string head = TRY(read_head(STDIN_FILENO, "standard input"));
      if (looks_like_archive(head)) {
        unpacked_.emplace(TRY(ContextFolder::unpack(STDIN_FILENO, head, "the context on standard input")));
      } else {
        text = head + TRY(read_stdin());
        text_read = true;
        unpacked_.emplace(TRY(ContextFolder::empty()));
      }
      context_dir_ = unpacked_->path();
    } else {
      struct stat st;
      if (::stat(options_.context.c_str(), &st) != 0)
        return errno_error("unable to prepare context: `{}`", options_.context);
      if (S_ISDIR(st.st_mode)) {
        context_dir_ = options_.context;
      } else {
        UniqueFd fd(::open(options_.context.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) return errno_error("unable to prepare context: open `{}`", options_.context);
        std::string head = TRY(read_head(fd.get(), options_.context));
        if (!looks_like_archive(head))
          return make_error("unable to prepare context: `{}` is neither a folder nor a tar archive", options_.context);
        unpacked_.emplace(TRY(ContextFolder::unpack(fd.get(), head, "`" + options_.context + "`")));
        context_dir_ = unpacked_->path();
      }
    }
    if (options_.dockerfile == "-") {
      text = TRY(read_stdin());
    } else if (!text_read) {
      std::string path = options_.dockerfile;
      // A tar context holds its Dockerfile: -f names it inside.
      if (!path.empty() && unpacked_) path = context_dir_ + "/" + clean_clamped_path(path);
      if (path.empty()) {
        path = context_dir_ + "/Dockerfile";
        if (!path_exists(path)) path = context_dir_ + "/Containerfile";
        if (!path_exists(path))
          return make_error("no Dockerfile or Containerfile in `{}` (name one with -f)", options_.context);
      }
      text = TRY(std::move(read_file(path, 16 << 20)).wrap("read the Dockerfile"));
      size_t slash = path.rfind('/');
      name = slash == std::string::npos ? path : path.substr(slash + 1);
      dockerfile_path_ = path;
    }
    dockerfile_ = TRY(parse_dockerfile(text, name));
    ignore_ = TRY(load_ignore_file(context_dir_, dockerfile_path_));
    for (const auto& arg : options_.build_args) {
      size_t eq = arg.find('=');
      if (eq == 0) return make_error("invalid --build-arg `{}`: expected KEY=VALUE", arg);
      if (eq != std::string::npos) {
        build_args_[arg.substr(0, eq)] = arg.substr(eq + 1);
      } else if (const char* value = ::getenv(arg.c_str())) {
        build_args_[arg] = value;
      }
    }
    if (!options_.platform.empty()) {
      Platform wanted = TRY(parse_platform(options_.platform));
      if (wanted.string() != host_platform().string())
        return make_error("--platform {}: skiff builds for this host's platform only ({})", options_.platform,
                          host_platform().string());
    }
    // The platform args BuildKit predefines, then the ARGs before FROM.
    Platform p = host_platform();
    for (const char* prefix : {"TARGET", "BUILD"}) {
      std::string pre = prefix;
      predefined_[pre + "PLATFORM"] = p.string();
      predefined_[pre + "OS"] = p.os;
      predefined_[pre + "ARCH"] = p.architecture;
      predefined_[pre + "VARIANT"] = p.variant;
    }
    global_args_ = predefined_;
    for (const auto& ins : dockerfile_.global_args)
      for (const auto& pair : ins.pairs) global_args_[pair.key] = TRY(arg_value(pair, lookup_in(global_args_)));
    return {};
  }

  // Up to 512 bytes from `fd`: enough to tell a tar archive.
  static Result<std::string> read_head(int fd, const std::string& what) {
    std::string head(512, '\0');
    size_t got = 0;
    while (got < head.size()) {
      ssize_t n = ::read(fd, head.data() + got, head.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error("read {}", what);
      if (n == 0) break;
      got += size_t(n);
    }
    head.resize(got);
    return head;
  }

  static Result<std::string> read_stdin() {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error("read the Dockerfile from standard input");
      if (n == 0) break;
      out.append(buf, size_t(n));
      if (out.size() > (16 << 20)) return make_error("the Dockerfile on standard input is larger than 16 MiB");
    }
    return out;
  }

  // An ARG's value: a --build-arg, else its default expanded, else unset.
  Result<std::optional<std::string>> arg_value(const KeyValue& pair, const VariableLookup& lookup) {
    if (auto it = build_args_.find(pair.key); it != build_args_.end()) {
      used_args_.insert(pair.key);
      return std::optional<std::string>(it->second);
    }
    if (!pair.value) return std::optional<std::string>();
    ExpandedWord w = TRY(expand_word(*pair.value, lookup, dockerfile_.escape));
    return std::optional<std::string>(w.value);
  }

  // ---- stages --------------------------------------------------------------

  // The stage a FROM or --from names: a stage's name or index, or nullopt
  // for an image.
  std::optional<size_t> stage_named(const std::string& text, size_t before) const {
    std::string name = lower(text);
    for (size_t i = 0; i < before; ++i)
      if (!dockerfile_.stages[i].name.empty() && dockerfile_.stages[i].name == name) return i;
    if (!text.empty() && text.size() < 9 && text.find_first_not_of("0123456789") == std::string::npos) {
      size_t index = std::stoul(text);
      if (index < before) return index;
    }
    return std::nullopt;
  }

  Result<std::vector<size_t>> stages_to_build() {
    size_t target = dockerfile_.stages.size() - 1;
    if (!options_.target.empty()) {
      bool found = false;
      for (size_t i = 0; i < dockerfile_.stages.size(); ++i)
        if (dockerfile_.stages[i].name == lower(options_.target)) target = i, found = true;
      if (!found) return make_error("target stage `{}` could not be found", options_.target);
    }
    // The target and every stage it needs, through FROM and --from.
    std::set<size_t> needed;
    std::vector<size_t> todo{target};
    while (!todo.empty()) {
      size_t i = todo.back();
      todo.pop_back();
      if (!needed.insert(i).second) continue;
      const Stage& stage = dockerfile_.stages[i];
      ExpandedWord base = TRY(expand_word(stage.base, lookup_in(global_args_), dockerfile_.escape));
      if (auto s = stage_named(base.value, i)) todo.push_back(*s);
      for (const auto& ins : stage.instructions)
        if (auto from = ins.flag("from"); from && (ins.name == "COPY" || ins.name == "ADD"))
          if (auto s = stage_named(*from, i)) todo.push_back(*s);
    }
    results_.resize(dockerfile_.stages.size());
    return std::vector<size_t>(needed.begin(), needed.end());
  }

  Status build_stage(size_t index) {
    const Stage& stage = dockerfile_.stages[index];
    StageRun run;
    step(stage.from);
    ExpandedWord base = TRY(expand_word(stage.base, lookup_in(global_args_), dockerfile_.escape));
    if (base.value.empty()) return at(stage.from, make_error("FROM names no image"));
    if (auto s = stage_named(base.value, index)) {
      run.image = *results_[*s];
    } else if (lower(base.value) == "scratch") {
      run.image.config = scratch_image_config();
    } else {
      run.image = TRY(at(stage.from, base_image(base.value)));
    }
    say(" ---> {}\n", run.image.id.empty() ? "scratch" : short_image_id(run.image.id));
    TRY(run_triggers(run, stage.from));
    for (const auto& ins : stage.instructions) {
      step(ins);
      TRY(at(ins, dispatch(ins, run, index)));
    }
    results_[index] = run.image;
    return {};
  }

  Result<StepImage> base_image(const std::string& reference) {
    std::optional<ImageRecord> record;
    if (!options_.pull) {
      auto found = find_local_image(store_, reference);
      if (found.ok()) record = *found;
    }
    if (!record) {
      say(" ---> pulling {}\n", reference);
      PullOptions pull;
      pull.reference = reference;
      PullResult pulled = TRY(pull_image(store_, pull));
      record = TRY(load_image(store_, pulled.id));
    }
    StepImage image;
    image.id = record->id;
    image.config = TRY(load_image_config(store_, *record));
    if (!image.config.contains("config") || !image.config["config"].is_object()) image.config["config"] = Json::object();
    image.layers = record->layers;
    image.size = record->size;
    return image;
  }

  // The base image's ONBUILD triggers run first, as docker runs them.
  Status run_triggers(StageRun& run, const Instruction& from) {
    Json& settings = run.image.config["config"];
    if (!settings.contains("OnBuild") || !settings["OnBuild"].is_array() || settings["OnBuild"].empty()) return {};
    Json triggers = settings["OnBuild"];
    settings["OnBuild"] = nullptr;
    for (const auto& t : triggers) {
      if (!t.is_string()) continue;
      auto parsed = parse_dockerfile("FROM scratch\n" + t.get<std::string>(), "ONBUILD trigger");
      if (!parsed.ok()) return at(from, parsed.error());
      for (const auto& ins : parsed->stages[0].instructions) {
        say(" ---> ONBUILD {}\n", ins.original);
        TRY(at(from, dispatch(ins, run, 0)));
      }
    }
    return {};
  }

  // ---- instructions --------------------------------------------------------

  VariableLookup lookup(const StageRun& run) const {
    return [&run](const std::string& name) -> std::optional<std::string> {
      if (auto v = env_value(run.image.config, name)) return v;
      auto it = run.args.find(name);
      return it == run.args.end() ? std::nullopt : it->second;
    };
  }

  Result<std::string> word(const std::string& text, const StageRun& run) {
    ExpandedWord w = TRY(expand_word(text, lookup(run), dockerfile_.escape));
    return w.value;
  }

  Status dispatch(const Instruction& ins, StageRun& run, size_t stage_index) {
    const std::string& n = ins.name;
    if (n == "ARG") return declare_args(ins, run);
    if (n == "RUN") return run_step(ins, run);
    if (n == "COPY" || n == "ADD") return copy_step(ins, run, stage_index);
    return metadata_step(ins, run);
  }

  Status declare_args(const Instruction& ins, StageRun& run) {
    for (const auto& pair : ins.pairs) {
      std::optional<std::string> value = TRY(arg_value(pair, lookup(run)));
      // `ARG NAME` inside a stage takes the default given before FROM.
      if (!value && !build_args_.count(pair.key))
        if (auto g = global_args_.find(pair.key); g != global_args_.end()) value = g->second;
      run.args[pair.key] = value;
    }
    say(" ---> {}\n", run.image.id.empty() ? "scratch" : short_image_id(run.image.id));
    return {};
  }

  Status metadata_step(const Instruction& ins, StageRun& run) {
    Json config = run.image.config;
    Json& settings = config["config"];
    if (!settings.is_object()) settings = Json::object();
    const std::string& n = ins.name;
    auto lk = lookup(run);
    if (n == "ENV") {
      // Every entry is expanded with the values from before the instruction.
      std::vector<std::pair<std::string, std::string>> values;
      for (const auto& pair : ins.pairs)
        values.emplace_back(TRY(word(pair.key, run)), TRY(word(pair.value.value_or(""), run)));
      for (const auto& [k, v] : values) set_env(settings, k, v);
    } else if (n == "LABEL") {
      if (!settings.contains("Labels") || !settings["Labels"].is_object()) settings["Labels"] = Json::object();
      for (const auto& pair : ins.pairs) settings["Labels"][TRY(word(pair.key, run))] = TRY(word(pair.value.value_or(""), run));
    } else if (n == "CMD" || n == "ENTRYPOINT") {
      Json command = ins.json_form ? Json(ins.args) : Json::array();
      if (!ins.json_form && !ins.args.empty()) {
        command = shell_of(config);
        command.push_back(ins.args[0]);
      }
      settings[n == "CMD" ? "Cmd" : "Entrypoint"] = command;
      if (n == "CMD") run.cmd_set = true;
      else if (!run.cmd_set) settings["Cmd"] = nullptr;  // an inherited CMD goes with a new ENTRYPOINT
    } else if (n == "EXPOSE") {
      if (!settings.contains("ExposedPorts") || !settings["ExposedPorts"].is_object())
        settings["ExposedPorts"] = Json::object();
      for (const auto& arg : ins.args) {
        ExpandedWords words = TRY(expand_words(arg, lk, dockerfile_.escape));
        for (auto port : words.words) {
          if (port.find('/') == std::string::npos) port += "/tcp";
          port = lower(port);
          std::string number = port.substr(0, port.find('/')), proto = port.substr(port.find('/') + 1);
          if (proto != "tcp" && proto != "udp" && proto != "sctp") return make_error("invalid proto: {}", proto);
          for (const auto& part : {number.substr(0, number.find('-')),
                                   number.find('-') == std::string::npos ? number : number.substr(number.find('-') + 1)})
            if (part.empty() || part.size() > 5 || part.find_first_not_of("0123456789") != std::string::npos ||
                std::stoi(part) > 65535)
              return make_error("invalid containerPort: {}", number);
          // A range is each of its ports, as docker records it.
          int first = std::stoi(number.substr(0, number.find('-')));
          int last = number.find('-') == std::string::npos ? first : std::stoi(number.substr(number.find('-') + 1));
          if (last < first) return make_error("invalid port range: {}", number);
          for (int p = first; p <= last; ++p) settings["ExposedPorts"][std::to_string(p) + "/" + proto] = Json::object();
        }
      }
    } else if (n == "VOLUME") {
      if (!settings.contains("Volumes") || !settings["Volumes"].is_object()) settings["Volumes"] = Json::object();
      for (const auto& arg : ins.args) {
        std::string path = TRY(word(arg, run));
        if (path.empty()) return make_error("VOLUME specified can not be an empty string");
        settings["Volumes"][path] = Json::object();
      }
    } else if (n == "USER") {
      settings["User"] = TRY(word(ins.args.at(0), run));
    } else if (n == "WORKDIR") {
      std::string dir = TRY(word(ins.args.at(0), run));
      std::string current = settings.value("WorkingDir", "");
      if (!dir.starts_with("/")) dir = (current.empty() ? "/" : current) + "/" + dir;
      settings["WorkingDir"] = "/" + clean_clamped_path(dir);
    } else if (n == "STOPSIGNAL") {
      settings["StopSignal"] = TRY(word(ins.args.at(0), run));
    } else if (n == "SHELL") {
      if (!ins.json_form) return make_error("SHELL requires the arguments to be in JSON form");
      settings["Shell"] = ins.args;
    } else if (n == "MAINTAINER") {
      config["author"] = ins.args.at(0);  // `settings` is not to be used after this
    } else if (n == "ONBUILD") {
      if (!settings.contains("OnBuild") || !settings["OnBuild"].is_array()) settings["OnBuild"] = Json::array();
      settings["OnBuild"].push_back(ins.args.at(0));
    } else if (n == "HEALTHCHECK") {
      settings["Healthcheck"] = TRY(healthcheck(ins, config));
    } else {
      return make_error("{} is not supported", n);
    }
    // Not `settings`: MAINTAINER adds a key to `config`, whose ordered map
    // may have moved the object that reference named.
    std::string key_text = "META\n" + n + "\n" + config["config"].dump() + "\n" + config.value("author", "");
    std::string created_by = "/bin/sh -c #(nop) " + ins.original;
    if (from_cache(run, key_text)) return {};
    if (n == "WORKDIR") {
      // The folder is made when the image lacks it, as docker makes it.
      std::string parent_chain = run.image.layers.empty() ? "" : run.image.layers.back();
      auto layer = PendingLayer::extract(
          store_, parent_chain, folder_layer_feed(config["config"]["WorkingDir"].get<std::string>(), diff_dirs_of(run.image)));
      if (!layer.ok()) return std::move(layer).error().wrap("make the working folder");
      if (layer->record().size > kEmptyTarSize) return commit_step(run, config, created_by, key_text, &*layer);
    }
    return commit_step(run, config, created_by, key_text, nullptr);
  }

  Result<Json> healthcheck(const Instruction& ins, const Json& config) {
    if (ins.args.empty()) return make_error("HEALTHCHECK needs NONE or CMD");
    if (lower(ins.args[0]) == "none") return Json{{"Test", Json::array({"NONE"})}};
    Json test = Json::array();
    if (ins.json_form) {
      test.push_back("CMD");
      for (size_t i = 1; i < ins.args.size(); ++i) test.push_back(ins.args[i]);
    } else {
      test = Json::array({"CMD-SHELL", ins.args.size() > 1 ? ins.args[1] : ""});
    }
    (void)config;
    Json out = {{"Test", test}};
    for (auto [flag, field] : {std::pair<const char*, const char*>{"interval", "Interval"},
                               {"timeout", "Timeout"},
                               {"start-period", "StartPeriod"},
                               {"start-interval", "StartInterval"}})
      if (auto v = ins.flag(flag)) {
        int64_t ns = duration_ns(*v);
        if (ns < 0) return make_error("HEALTHCHECK --{}: invalid duration `{}`", flag, *v);
        out[field] = ns;
      }
    if (auto v = ins.flag("retries")) {
      try {
        out["Retries"] = std::stoi(*v);
      } catch (const std::exception&) {
        return make_error("HEALTHCHECK --retries: invalid number `{}`", *v);
      }
    }
    return out;
  }

  Status run_step(const Instruction& ins, StageRun& run) {
    if (ins.flag("mount")) return make_error("RUN --mount needs BuildKit, which skiff does not implement");
    if (ins.flag("security")) return make_error("RUN --security needs BuildKit, which skiff does not implement");
    if (run.image.id.empty()) return make_error("RUN needs a base image with a shell: this stage starts FROM scratch");
    std::string network = ins.flag("network").value_or(options_.network);
    if (network == "default") network = "";
    if (!network.empty() && network != "none" && network != "host")
      return make_error("network mode `{}` is not supported for RUN: use default, none or host", network);

    std::vector<std::string> argv;
    if (ins.json_form) {
      argv = ins.args;
    } else {
      for (const auto& s : shell_of(run.image.config)) argv.push_back(s.get<std::string>());
      argv.push_back(TRY(run_script(ins, run)));
    }
    // The stage's ARGs reach the command's environment (ENV wins).
    std::vector<std::string> env;
    for (const auto& [k, v] : run.args)
      if (v && !env_value(run.image.config, k)) env.push_back(k + "=" + *v);
    std::string key_text = "RUN\n" + Json(argv).dump() + "\n" + Json(env).dump() + "\n" + network;
    std::string created_by = join_words(argv);
    if (from_cache(run, key_text)) return {};

    CreateOptions create;
    create.image = run.image.id;
    create.command = argv;
    create.entrypoint = "";
    create.env = env;
    create.network = network;
    create.pull = "never";
    // Quiet, the output goes to the container's log only, shown if it fails.
    create.log_driver = options_.quiet ? "json-file" : "none";
    create.storage_driver = options_.storage_driver;
    create.attach = true;
    Container c = TRY(create_container(store_, create));
    say(" ---> Running in {}\n", c.id.substr(0, 12));
    std::fflush(stdout);
    auto code = start_container(store_, c, StartOptions{.attach = !options_.quiet, .interactive = false});
    auto cleanup = [&] { (void)remove_container(store_, c, true); };
    if (!code.ok()) {
      cleanup();
      return std::move(code).error();
    }
    if (*code != 0) {
      if (options_.quiet) show_log(c);
      cleanup();
      return Error(0, fmt::format("The command '{}' returned a non-zero code: {}", created_by, *code), 1);
    }
    std::string upper = c.dir + "/upper";
    std::string parent_chain = run.image.layers.empty() ? "" : run.image.layers.back();
    auto layer = layer_from_upper(store_, upper, parent_chain);
    cleanup();
    if (!layer.ok()) return std::move(layer).error().wrap("write the step's layer");
    return commit_step(run, run.image.config, created_by, key_text, &*layer);
  }

  // A failed step's output, for a quiet build: on stderr, as it was written.
  void show_log(const Container& c) {
    (void)read_log_files(c.dir, LogReadOptions{}, [] { return false; }, [](LogStream, std::string_view text) {
      std::fwrite(text.data(), 1, text.size(), stderr);
      return true;
    });
  }

  // A shell-form RUN's script: its heredocs become the shell's own here-
  // documents, or, for `RUN <<EOF` alone, the script itself.
  Result<std::string> run_script(const Instruction& ins, const StageRun& run) {
    std::string text = ins.args.empty() ? "" : ins.args[0];
    if (ins.heredocs.empty()) return text;
    std::vector<std::string> bodies;
    for (const auto& h : ins.heredocs) {
      if (!h.expand) {
        bodies.push_back(h.body);
        continue;
      }
      ExpandedWord w = TRY(expand_heredoc(h.body, lookup(run)));
      bodies.push_back(w.value);
    }
    std::string trimmed = text;
    trimmed.erase(0, trimmed.find_first_not_of(" \t"));
    if (ins.heredocs.size() == 1 && ins.heredoc_for(trimmed.substr(0, trimmed.find_last_not_of(" \t") + 1)))
      return bodies[0];
    for (size_t i = 0; i < ins.heredocs.size(); ++i) text += "\n" + bodies[i] + ins.heredocs[i].name;
    return text;
  }

  Status copy_step(const Instruction& ins, StageRun& run, size_t stage_index) {
    for (const char* flag : {"parents", "exclude", "keep-git-dir", "checksum"})
      if (ins.flag(flag)) return make_error("{} --{} needs BuildKit, which skiff does not implement", ins.name, flag);
    if (ins.args.size() < 2) return make_error("{} requires at least two arguments", ins.name);
    std::vector<std::string> sources;
    for (size_t i = 0; i + 1 < ins.args.size(); ++i) {
      if (ins.heredoc_for(ins.args[i])) continue;
      std::string source = TRY(word(ins.args[i], run));
      if (ins.name == "ADD" && (source.starts_with("git@") || source.ends_with(".git")))
        return make_error("ADD of a git repository is not supported: `{}`", source);
      sources.push_back(source);
    }
    std::string raw_dest = TRY(word(ins.args.back(), run));
    std::string workdir = run.image.config["config"].value("WorkingDir", "");
    std::string dest = raw_dest.starts_with("/") ? raw_dest : (workdir.empty() ? "/" : workdir) + "/" + raw_dest;
    bool folder = raw_dest.ends_with("/") || raw_dest == "." || raw_dest.ends_with("/.");
    dest = "/" + clean_clamped_path(dest) + (folder ? "/" : "");
    if (dest == "//") dest = "/";

    CopyDestination target{.destination = dest, .chown = "", .chmod = std::nullopt};
    if (auto chown = ins.flag("chown")) target.chown = TRY(word(*chown, run));
    if (auto chmod = ins.flag("chmod")) {
      std::string text = TRY(word(*chmod, run));
      char* end = nullptr;
      unsigned long mode = std::strtoul(text.c_str(), &end, 8);
      if (text.empty() || *end || mode > 07777) return make_error("invalid --chmod `{}`: expected an octal mode", text);
      target.chmod = uint32_t(mode);
    }
    std::string options_text = dest + "\n" + target.chown + "\n" + (target.chmod ? std::to_string(*target.chmod) : "");
    std::vector<std::string> diff_dirs = diff_dirs_of(run.image);
    LayerFeed feed;
    std::string key_text, created_by;
    if (auto from = ins.flag("from")) {
      // Another stage's image, or an image by name: its content is its ID.
      std::string name = TRY(word(*from, run));
      StepImage source;
      if (auto s = stage_named(name, stage_index)) source = *results_[*s];
      else source = TRY(base_image(name));
      std::string source_id = source.id.empty() ? "scratch" : source.id;
      key_text = "COPY --from\n" + source_id + "\n" + Json(sources).dump() + "\n" + options_text;
      created_by = "/bin/sh -c #(nop) " + ins.name + " --from=" + name + " " + join_words(sources) + " " + dest;
      feed = image_copy_layer_feed(diff_dirs_of(source), sources, target, diff_dirs);
    } else {
      std::vector<CopyPart> parts = TRY(copy_parts(ins, run, sources, dest, key_text));
      std::string content = sha256_digest(key_text);
      key_text = ins.name + "\n" + content + "\n" + options_text;
      created_by = "/bin/sh -c #(nop) " + ins.name + " " + content + " in " + dest;
      feed = copy_layer_feed(context_dir_, parts, target, ins.args.size() > 2, diff_dirs);
    }
    if (from_cache(run, key_text)) return {};
    std::string parent_chain = run.image.layers.empty() ? "" : run.image.layers.back();
    auto layer = PendingLayer::extract(store_, parent_chain, feed);
    if (!layer.ok()) return std::move(layer).error().wrap("{} failed", ins.name);
    return commit_step(run, run.image.config, created_by, key_text, &*layer);
  }

  // What a COPY or ADD without --from takes, in the order it names it:
  // heredocs and ADD's downloads (files the step makes), ADD's local tar
  // archives (unpacked), and context entries. `sources` are its arguments
  // but the heredocs, expanded. `content` gets what their content is, for
  // the cache key.
  Result<std::vector<CopyPart>> copy_parts(const Instruction& ins, StageRun& run,
                                           const std::vector<std::string>& sources, const std::string& dest,
                                           std::string& content) {
    TRY(check_several_sources(ins.name, ins.args.size() - 1, dest));
    made_.clear();
    downloads_.clear();
    std::vector<CopyPart> parts;
    std::vector<std::string> context_sources;
    // Context sources in a row make one plan: their wildcards and folders
    // are planned as one COPY plans them.
    auto take_context = [&]() -> Status {
      if (context_sources.empty()) return {};
      const std::vector<ContextEntry>* context = TRY(context_entries());
      CopyPart part;
      part.plan =
          TRY(std::move(plan_context_copy(ins.name, *context, context_sources, dest)).wrap("{} failed", ins.name));
      content += "context " + TRY(copy_content_key(part.plan, *digests_)) + "\n";
      parts.push_back(std::move(part));
      context_sources.clear();
      return {};
    };
    auto made_file = [&](MadeFile file) {
      CopyPart part;
      part.kind = CopyPart::Kind::kFile;
      part.file = std::move(file);
      parts.push_back(std::move(part));
    };
    size_t next_source = 0;
    for (size_t i = 0; i + 1 < ins.args.size(); ++i) {
      if (const Heredoc* h = ins.heredoc_for(ins.args[i])) {
        // COPY <<NAME: the heredoc is a file called NAME.
        TRY(take_context());
        std::string body = h->body;
        if (h->expand) body = TRY(expand_heredoc(h->body, lookup(run))).value;
        made_.push_back(TRY(TempFile::write(body)));
        made_file({made_.back()->path, h->name, 0644});
        content += "heredoc " + h->name + " " + sha256_digest(body) + "\n";
        continue;
      }
      const std::string& source = sources.at(next_source++);
      if (ins.name == "ADD" && is_http_url(source)) {
        // Downloaded on every build; its content is the key.
        TRY(take_context());
        downloads_.push_back(TRY(Download::fetch(source)));
        const Download& d = *downloads_.back();
        made_file({d.file->path, d.name, 0600});
        content += "url " + d.name + " " + d.digest + "\n";
        continue;
      }
      if (const ContextEntry* archive = TRY(context_archive(ins, source))) {
        TRY(take_context());
        CopyPart part;
        part.kind = CopyPart::Kind::kArchive;
        part.archive = archive->path;
        content += "archive " + archive->path + " " + TRY(digests_->digest(*archive)) + "\n";
        parts.push_back(std::move(part));
        continue;
      }
      context_sources.push_back(source);
    }
    TRY(take_context());
    return parts;
  }

  // ADD's source when it is a context file holding a tar archive (told by
  // its content, as docker tells); nullptr for anything else.
  Result<const ContextEntry*> context_archive(const Instruction& ins, const std::string& source) {
    if (ins.name != "ADD") return nullptr;
    const std::vector<ContextEntry>* context = TRY(context_entries());
    std::string rel = clean_path(source);
    auto it = std::find_if(context->begin(), context->end(), [&](const ContextEntry& e) { return e.path == rel; });
    if (it == context->end() || !it->is_regular()) return nullptr;
    std::string head = TRY(read_context_head(context_dir_, rel, 512));
    return looks_like_archive(head) ? &*it : nullptr;
  }

  Result<const std::vector<ContextEntry>*> context_entries() {
    if (!context_) {
      context_ = TRY(walk_context(context_dir_, ignore_));
      std::string real = context_dir_;
      if (char* r = ::realpath(context_dir_.c_str(), nullptr)) real = r, ::free(r);
      // An unpacked context is new each time: its digests are not kept.
      std::string cache_file = unpacked_ ? "" : cache_dir() + "/files-" + sha256_digest(real).substr(7, 16);
      digests_.emplace(context_dir_, cache_file);
    }
    return &*context_;
  }

  std::vector<std::string> diff_dirs_of(const StepImage& image) const {
    std::vector<std::string> dirs;
    for (const auto& chain : image.layers) dirs.push_back(store_.layer_dir(chain) + "/diff");
    return dirs;
  }

  // ---- steps and the cache -------------------------------------------------

  std::string cache_dir() const { return store_.root() + "/build-cache"; }

  std::string cache_key(const StageRun& run, const std::string& key_text) const {
    std::string parent = run.image.id.empty() ? "scratch" : run.image.id;
    return sha256_digest(parent + "\n" + key_text).substr(7);
  }

  // True (and the stage moved on) when this step's image is in the cache.
  bool from_cache(StageRun& run, const std::string& key_text) {
    if (options_.no_cache) return false;
    auto text = read_file(cache_dir() + "/" + cache_key(run, key_text), 256);
    if (!text.ok()) return false;
    std::string id = *text;
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    auto record = load_image(store_, id);
    if (!record.ok()) return false;
    for (const auto& chain : record->layers)
      if (!path_exists(store_.layer_dir(chain) + "/layer.json")) return false;
    auto config = load_image_config(store_, *record);
    if (!config.ok()) return false;
    run.image = StepImage{record->id, std::move(*config), record->layers, record->size};
    say(" ---> Using cache\n ---> {}\n", short_image_id(run.image.id));
    return true;
  }

  // Stores the step (its caller looked it up in the cache first) and indexes it.
  Status commit_step(StageRun& run, const Json& config, const std::string& created_by, const std::string& key_text,
                     PendingLayer* layer) {
    std::string key = cache_key(run, key_text);
    HistoryEntry entry{.created_by = created_by, .comment = "", .author = "", .empty_layer = layer == nullptr};
    Json derived = derive_image_config(config, entry, layer ? layer->record().diff_id : "", now_rfc3339());
    ImageRecord record;
    record.layers = run.image.layers;
    record.size = run.image.size;
    if (layer) {
      record.layers.push_back(layer->record().chain_id);
      record.size += layer->record().size;
    }
    record.parent = run.image.id;
    record.build_step = true;
    std::string id = TRY(store_image(store_, derived, record, layer));
    TRY(write_file_atomically(cache_dir() + "/" + key, id + "\n"));
    run.image = StepImage{id, std::move(derived), std::move(record.layers), record.size};
    say(" ---> {}\n", short_image_id(id));
    return {};
  }

  // The target stage's image, with --label, named after the tags.
  Result<std::string> finish(const StepImage& image) {
    std::vector<std::string> names;
    for (const auto& tag : options_.tags) names.push_back(TRY(std::move(image_name_for(tag)).wrap("invalid tag")));
    Json config = image.config;
    if (image.id.empty() || !options_.labels.empty()) {
      Json& settings = config["config"];
      if (!settings.contains("Labels") || !settings["Labels"].is_object()) settings["Labels"] = Json::object();
      for (const auto& label : options_.labels) {
        size_t eq = label.find('=');
        settings["Labels"][label.substr(0, eq)] = eq == std::string::npos ? "" : label.substr(eq + 1);
      }
      if (!config.contains("created")) config["created"] = now_rfc3339();
    }
    ImageRecord record;
    record.layers = image.layers;
    record.size = image.size;
    record.names = names;
    record.build_step = false;
    std::string id = TRY(store_image(store_, config, record, nullptr));
    say("Successfully built {}\n", short_image_id(id));
    for (const auto& tag : options_.tags) {
      auto ref = ImageReference::parse_with_default_tag(tag);
      say("Successfully tagged {}\n", ref->familiar_string());
    }
    return id;
  }

  void warn_unused_args() const {
    std::string unused;
    for (const auto& [k, v] : build_args_)
      if (!used_args_.count(k)) unused += (unused.empty() ? "" : " ") + k;
    if (!unused.empty()) warn("one or more build-args [{}] were not consumed", unused);
  }

  // ---- display -------------------------------------------------------------

  void step(const Instruction& ins) {
    ++step_;
    say("Step {}/{} : {}\n", step_, total_steps_, ins.original);
  }

  template <typename... Args>
  void say(fmt::format_string<Args...> format, Args&&... args) {
    if (options_.quiet) return;
    std::string text = fmt::format(format, std::forward<Args>(args)...);
    std::fwrite(text.data(), 1, text.size(), stdout);
  }

  // An instruction's error names its line, as docker's do.
  template <typename T>
  Result<T> at(const Instruction& ins, Result<T> result) {
    if (result.ok()) return result;
    return std::move(result).error().wrap("{}:{}: {}", dockerfile_name(), ins.line, ins.original);
  }
  Status at(const Instruction& ins, Status status) {
    if (status.ok()) return status;
    return std::move(status).error().wrap("{}:{}: {}", dockerfile_name(), ins.line, ins.original);
  }
  Status at(const Instruction& ins, const Error& error) {
    return error.wrap("{}:{}: {}", dockerfile_name(), ins.line, ins.original);
  }
  std::string dockerfile_name() const {
    if (dockerfile_path_.empty()) return "Dockerfile";
    size_t slash = dockerfile_path_.rfind('/');
    return slash == std::string::npos ? dockerfile_path_ : dockerfile_path_.substr(slash + 1);
  }

  const Store& store_;
  const BuildOptions& options_;
  std::optional<ContextFolder> unpacked_;  ///< a context given as a tar
  std::string context_dir_;
  Dockerfile dockerfile_;
  std::string dockerfile_path_;
  IgnoreMatcher ignore_;
  std::map<std::string, std::string> build_args_;
  std::set<std::string> used_args_;
  VariableMap predefined_, global_args_;
  std::vector<std::optional<StepImage>> results_;
  std::optional<std::vector<ContextEntry>> context_;
  std::optional<FileDigests> digests_;
  std::vector<std::unique_ptr<Download>> downloads_;  ///< the last ADD's URLs
  std::vector<std::unique_ptr<TempFile>> made_;  ///< the last COPY's heredocs
  size_t step_ = 0, total_steps_ = 0;
};

}  // namespace

Result<std::string> build_image(const Store& store, const BuildOptions& options) {
  Builder builder(store, options);
  return builder.run();
}

}  // namespace skiff
