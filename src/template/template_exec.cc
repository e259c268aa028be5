// The executor of Go's text/template (exec.go, funcs.go) over JSON data, with
// docker's extra functions (templates.go). It follows Go's evaluation order and
// keeps Go's "current node" so errors name the same line, column and <context>.
//
// A value is a shared pointer to a Json; an empty pointer is Go's invalid
// reflect.Value (a missing map key), printed "<no value>". Values found in the
// data or the program are borrowed (aliasing pointers with no owner); computed
// values own their Json, and parts of them keep their owner alive.
#include <algorithm>
#include <cstdint>
#include <variant>

#include "template/go_template.h"
#include "template/template_internal.h"

namespace skiff::template_internal {
namespace {

using Value = std::shared_ptr<const Json>;

Value borrow(const Json& j) { return Value(Value(), &j); }
Value own(Json j) { return std::make_shared<const Json>(std::move(j)); }
Value part_of(const Value& whole, const Json& part) { return Value(whole, &part); }

bool truth(const Value& v) { return v && go_truth(*v); }

// Template calls deeper than this fail, as Go's maxExecDepth (100000, too
// deep for a C++ stack).
constexpr int kMaxTemplateDepth = 100;
// Walk and pipeline recursion deeper than this fails: parsing bounds nesting
// within one template, this bounds it across template calls.
constexpr int kMaxExecDepth = 1000;

// An object is a Go struct (missing field: error) when all its keys are
// exported Go field names; otherwise (or when empty) it is a map.
bool looks_like_struct(const Json& object) {
  if (object.empty()) return false;
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    if (key.empty() || key[0] < 'A' || key[0] > 'Z') return false;
  }
  return true;
}

// A map whose values are all strings is docker's map[string]string (labels,
// options): indexing a missing key gives "" rather than no value.
bool looks_like_string_map(const Json& object) {
  return std::all_of(object.begin(), object.end(), [](const Json& v) { return v.is_string(); });
}

// The Go type named in "wrong type" errors; a JSON null is an empty interface.
std::string value_type_name(const Json& v) { return v.is_null() ? "interface {}" : go_type_name(v); }

using Site = std::variant<std::monostate, const Node*, const Pipe*, const Command*, const Arg*>;

struct CallArg {
  Value value;
  const Arg* node = nullptr;  // null for the value piped in from the previous command
};

class Executor;
using Impl = Result<Value> (*)(Executor&, std::span<const CallArg>);

struct Function {
  std::string_view name;
  int params;     // fixed parameters
  bool variadic;  // more may follow
  Impl impl;
  Impl header_impl = nullptr;  // docker's HeaderFunctions replacement
};

const Function* find_function(std::string_view name);

enum class Flow { Normal, Break, Continue };

class Executor {
 public:
  Executor(const Program& program, bool header_mode, std::string& out)
      : program_(program), header_mode_(header_mode), out_(out) {}

  Status run(const Json& data) {
    Value dot = borrow(data);
    vars_.emplace_back("$", dot);
    TRY(walk_list(dot, program_.root));
    return {};
  }

  // "template: :L:C: executing "name" at <context>: message", the column
  // counted from 0 as Go's ErrorContext does.
  Error error(std::string_view message) const {
    if (std::holds_alternative<std::monostate>(site_)) return make_error("template: {}: {}", template_name_, message);
    size_t pos = 0;
    std::string context;
    auto describe = [&](const auto* node) {
      pos = node->pos;
      context = to_string(*node);
    };
    if (auto* n = std::get_if<const Node*>(&site_)) describe(*n);
    if (auto* p = std::get_if<const Pipe*>(&site_)) describe(*p);
    if (auto* c = std::get_if<const Command*>(&site_)) describe(*c);
    if (auto* a = std::get_if<const Arg*>(&site_)) describe(*a);
    std::string_view text = program_.source;
    pos = std::min(pos, text.size());
    size_t newline = pos == 0 ? std::string_view::npos : text.rfind('\n', pos - 1);
    size_t column = newline == std::string_view::npos ? pos : pos - newline - 1;
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
    return make_error("template: :{}:{}: executing {} at <{}>: {}", line, column, go_quote(template_name_), context,
                      message);
  }

  // A function's own failure, reported at its command as Go does.
  Error call_error(std::string_view message) {
    site_ = call_site_;
    return error(fmt::format("error calling {}: {}", call_name_, message));
  }

  // Argument conversions, reporting at the argument like Go's validateType.
  Result<std::string> string_arg(const CallArg& a) {
    at_arg(a);
    if (!a.value) return error("invalid value; expected string");
    if (!a.value->is_string())
      return error(fmt::format("wrong type for value; expected string; got {}", value_type_name(*a.value)));
    return a.value->get<std::string>();
  }

  Result<int64_t> int_arg(const CallArg& a) {
    at_arg(a);
    if (!a.value) return error("invalid value; expected int");
    const Json& v = *a.value;
    if (v.is_number_unsigned() && v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) return v.get<int64_t>();
    if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<int64_t>();
    // A literal like 2.0 is an int where Go wants one.
    if (a.node && a.node->kind == ArgKind::Number) {
      if (a.node->is_int) return a.node->int_value;
      return error(fmt::format("expected integer; found {}", a.node->text));
    }
    return error(fmt::format("wrong type for value; expected int; got {}", value_type_name(v)));
  }

  Result<std::vector<std::string>> string_list_arg(const CallArg& a) {
    at_arg(a);
    if (!a.value) return error("invalid value; expected []string");
    const Json& v = *a.value;
    bool ok = v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_string(); });
    if (!ok) return error(fmt::format("wrong type for value; expected []string; got {}", value_type_name(v)));
    return v.get<std::vector<std::string>>();
  }

 private:
  // RAII depth counter for walk and pipeline recursion.
  class DepthGuard {
   public:
    explicit DepthGuard(int& depth) : depth_(depth) { ++depth_; }
    ~DepthGuard() { --depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    int& depth_;
  };

  void at_arg(const CallArg& a) {
    if (a.node)
      site_ = a.node;
    else
      site_ = call_site_;
  }

  Status check_depth() {
    if (depth_ > kMaxExecDepth) return error("max expression depth exceeded");
    return {};
  }

  Result<Flow> walk_list(const Value& dot, const NodeList& list) {
    for (const Node& node : list) {
      Flow flow = TRY(walk(dot, node));
      if (flow != Flow::Normal) return flow;
    }
    return Flow::Normal;
  }

  Result<Flow> walk(const Value& dot, const Node& node) {
    DepthGuard guard(depth_);
    site_ = &node;
    TRY(check_depth());
    switch (node.kind) {
      case NodeKind::Text:
        out_ += node.text;
        return Flow::Normal;
      case NodeKind::Action: {
        // Variables declared here persist to the end of the enclosing block.
        Value v = TRY(eval_pipeline(dot, node.pipe.get()));
        if (node.pipe->decl.empty()) out_ += v ? go_print(*v) : "<no value>";
        return Flow::Normal;
      }
      case NodeKind::If:
      case NodeKind::With: {
        size_t mark = vars_.size();
        Value v = TRY(eval_pipeline(dot, node.pipe.get()));
        Flow flow = Flow::Normal;
        if (truth(v))
          flow = TRY(walk_list(node.kind == NodeKind::With ? v : dot, node.list));
        else if (node.has_else)
          flow = TRY(walk_list(dot, node.else_list));
        vars_.resize(mark);
        return flow;
      }
      case NodeKind::Range: return walk_range(dot, node);
      case NodeKind::Template: return walk_template(dot, node);
      case NodeKind::Break: return Flow::Break;
      case NodeKind::Continue: return Flow::Continue;
      case NodeKind::End:
      case NodeKind::Else: break;
    }
    return error("unknown node: " + to_string(node));
  }

  Result<Flow> walk_range(const Value& dot, const Node& node) {
    size_t mark = vars_.size();
    Value v = TRY(eval_pipeline(dot, node.pipe.get()));
    size_t body_mark = vars_.size();
    size_t decls = node.pipe->decl.size();
    // Runs the body once; returns false to stop on {{break}}.
    auto iteration = [&](Value index, Value element) -> Result<bool> {
      if (decls > 0) vars_[vars_.size() - 1].second = element;
      if (decls > 1) vars_[vars_.size() - 2].second = index;
      Flow flow = TRY(walk_list(element, node.list));
      vars_.resize(body_mark);
      return flow != Flow::Break;
    };
    bool iterated = false;
    if (v && v->is_array() && !v->empty()) {
      iterated = true;
      for (size_t i = 0; i < v->size(); ++i)
        if (!TRY(iteration(own(static_cast<int64_t>(i)), part_of(v, (*v)[i])))) break;
    } else if (v && v->is_object() && !v->empty()) {
      iterated = true;
      std::vector<std::string> keys;
      for (auto it = v->begin(); it != v->end(); ++it) keys.push_back(it.key());
      std::sort(keys.begin(), keys.end());
      for (const std::string& key : keys)
        if (!TRY(iteration(own(key), part_of(v, v->at(key))))) break;
    } else if (v && v->is_number_integer()) {
      // Go 1.22: range over an int counts from 0.
      if (decls > 1) return error(fmt::format("can't use {} to iterate over more than one variable", go_print(*v)));
      int64_t n = v->is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(v->get<uint64_t>(), INT64_MAX))
                                          : v->get<int64_t>();
      iterated = n > 0;
      for (int64_t i = 0; i < n; ++i) {
        Value index = own(i);
        if (!TRY(iteration(index, index))) break;
      }
    } else if (v && !v->is_null() && !v->is_array() && !v->is_object()) {
      return error(fmt::format("range can't iterate over {}", go_print(*v)));
    }
    Flow flow = Flow::Normal;
    if (!iterated && node.has_else) flow = TRY(walk_list(dot, node.else_list));
    vars_.resize(mark);
    return flow;
  }

  Result<Flow> walk_template(const Value& dot, const Node& node) {
    site_ = &node;
    auto it = program_.defined.find(node.text);
    if (it == program_.defined.end()) return error(fmt::format("template {} not defined", go_quote(node.text)));
    if (template_depth_ >= kMaxTemplateDepth)
      return error(fmt::format("exceeded maximum template depth ({})", kMaxTemplateDepth));
    Value new_dot = node.pipe ? TRY(eval_pipeline(dot, node.pipe.get())) : Value();
    // No dynamic scoping: the called template sees only $.
    std::vector<std::pair<std::string, Value>> saved_vars = std::move(vars_);
    vars_ = {{"$", new_dot}};
    std::string saved_name = std::exchange(template_name_, it->first);
    ++template_depth_;
    auto result = walk_list(new_dot, it->second);
    --template_depth_;
    template_name_ = std::move(saved_name);
    vars_ = std::move(saved_vars);
    TRY(std::move(result));
    return Flow::Normal;
  }

  Result<Value> eval_pipeline(const Value& dot, const Pipe* pipe) {
    if (!pipe) return Value();
    DepthGuard guard(depth_);
    site_ = pipe;
    TRY(check_depth());
    std::optional<Value> value;
    for (const Command& cmd : pipe->cmds) value = TRY(eval_command(dot, cmd, value));
    for (const std::string& name : pipe->decl) {
      if (pipe->is_assign)
        TRY(set_var(name, *value));
      else
        vars_.emplace_back(name, *value);
    }
    return *value;
  }

  Status not_a_function(std::span<const Arg> args, const std::optional<Value>& final) {
    if (args.size() > 1 || final) return error("can't give argument to non-function " + to_string(args[0]));
    return {};
  }

  Result<Value> eval_command(const Value& dot, const Command& cmd, const std::optional<Value>& final) {
    const Arg& first = cmd.args[0];
    std::span<const Arg> args(cmd.args);
    switch (first.kind) {
      case ArgKind::Field:
        site_ = &first;
        return eval_field_chain(dot, dot, first.idents, args, final);
      case ArgKind::Chain: return eval_chain(dot, first, args, final);
      case ArgKind::Identifier: return eval_function(dot, first, &cmd, args.subspan(1), final);
      case ArgKind::Pipe:
        TRY(not_a_function(args, final));
        return eval_pipeline(dot, first.pipe.get());
      case ArgKind::Variable:
        return eval_variable(dot, first, args, final);
      default: break;
    }
    site_ = &first;
    TRY(not_a_function(args, final));
    switch (first.kind) {
      case ArgKind::Dot: return dot;
      case ArgKind::Nil: return error("nil is not a command");
      default: return borrow(first.constant);  // Bool, Number, String
    }
  }

  Result<Value> eval_variable(const Value& dot, const Arg& var, std::span<const Arg> args,
                              const std::optional<Value>& final) {
    site_ = &var;
    Value value = TRY(var_value(var.idents[0]));
    if (var.idents.size() == 1) {
      TRY(not_a_function(args, final));
      return value;
    }
    return eval_field_chain(dot, value, std::span(var.idents).subspan(1), args, final);
  }

  Result<Value> eval_chain(const Value& dot, const Arg& chain, std::span<const Arg> args,
                           const std::optional<Value>& final) {
    site_ = &chain;
    if (chain.base->kind == ArgKind::Nil)
      return error("indirection through explicit nil in " + to_string(chain));
    Value base = TRY(eval_arg(dot, *chain.base));
    return eval_field_chain(dot, base, chain.idents, args, final);
  }

  // receiver.A.B...: fields before the last take no arguments; the last has
  // them when the command has more words or a piped-in value, and is then a
  // method if the receiver has one of its name. Arguments are evaluated
  // against `dot`.
  Result<Value> eval_field_chain(const Value& dot, Value receiver, std::span<const std::string> idents,
                                 std::span<const Arg> args, const std::optional<Value>& final) {
    for (size_t i = 0; i + 1 < idents.size(); ++i) receiver = TRY(eval_field(idents[i], false, receiver));
    bool has_args = args.size() > 1 || final.has_value();
    if (has_args && receiver && receiver->is_object())
      if (auto method = receiver->find(idents.back() + "()");
          method != receiver->end() && method->is_object())
        return call_method(dot, receiver, *method, idents.back(), args.subspan(1), final);
    return eval_field(idents.back(), has_args, receiver);
  }

  // A method of one string argument (docker's Label "KEY" of list rows): the
  // data holds its results under "Name()", an object mapping each argument
  // to a string; one it lacks gives "".
  Result<Value> call_method(const Value& dot, const Value& receiver, const Json& results,
                            const std::string& name, std::span<const Arg> args,
                            const std::optional<Value>& final) {
    std::vector<CallArg> values;
    for (const Arg& arg : args) values.push_back({TRY(eval_arg(dot, arg)), &arg});
    if (final) values.push_back({*final, nullptr});
    if (values.size() != 1)
      return error(fmt::format("wrong number of args for {}: want 1 got {}", name, values.size()));
    std::string key = TRY(string_arg(values[0]));
    auto it = results.find(key);
    if (it == results.end() || !it->is_string()) return own(Json(""));
    return part_of(receiver, *it);
  }

  Result<Value> eval_field(const std::string& name, bool has_args, const Value& receiver) {
    if (!receiver) return Value();  // a field of no value is no value
    const Json& j = *receiver;
    if (j.is_null()) return error(fmt::format("nil pointer evaluating interface {{}}.{}", name));
    if (!j.is_object()) return error(fmt::format("can't evaluate field {} in type {}", name, go_type_name(j)));
    if (has_args) return error(fmt::format("{} is not a method but has arguments", name));
    if (auto it = j.find(name); it != j.end()) return part_of(receiver, *it);
    if (!header_mode_ && looks_like_struct(j)) return error(fmt::format("can't evaluate field {}", name));
    return Value();
  }

  // An argument to a function, as Go's evalArg.
  Result<Value> eval_arg(const Value& dot, const Arg& arg) {
    site_ = &arg;
    switch (arg.kind) {
      case ArgKind::Dot: return dot;
      case ArgKind::Nil: return own(nullptr);
      case ArgKind::Field:
        return eval_field_chain(dot, dot, arg.idents, std::span(&arg, 1), std::nullopt);
      case ArgKind::Variable:
        return eval_variable(dot, arg, std::span(&arg, 1), std::nullopt);
      case ArgKind::Pipe: return eval_pipeline(dot, arg.pipe.get());
      case ArgKind::Identifier: return eval_function(dot, arg, &arg, {}, std::nullopt);
      case ArgKind::Chain: return eval_chain(dot, arg, std::span(&arg, 1), std::nullopt);
      default: return borrow(arg.constant);
    }
  }

  Result<Value> eval_function(const Value& dot, const Arg& ident, Site call_site, std::span<const Arg> args,
                              const std::optional<Value>& final) {
    site_ = &ident;
    const std::string& name = ident.idents[0];
    const Function* fn = find_function(name);
    if (!fn) return error(fmt::format("{} is not a defined function", go_quote(name)));
    int given = static_cast<int>(args.size()) + (final ? 1 : 0);
    if (fn->variadic && given < fn->params)
      return error(fmt::format("wrong number of args for {}: want at least {} got {}", name, fn->params, args.size()));
    if (!fn->variadic && given != fn->params)
      return error(fmt::format("wrong number of args for {}: want {} got {}", name, fn->params, given));

    if (name == "and" || name == "or") {
      // Short-circuit: the first argument that decides, else the last.
      Value v;
      for (const Arg& arg : args) {
        v = TRY(eval_arg(dot, arg));
        if (truth(v) == (name == "or")) return v;
      }
      if (final) v = *final;
      return v;
    }

    std::vector<CallArg> values;
    values.reserve(args.size() + 1);
    for (const Arg& arg : args) values.push_back({TRY(eval_arg(dot, arg)), &arg});
    if (final) values.push_back({*final, nullptr});
    Impl impl = header_mode_ && fn->header_impl ? fn->header_impl : fn->impl;
    std::string saved_name = std::exchange(call_name_, name);
    Site saved_site = std::exchange(call_site_, call_site);
    auto result = impl(*this, values);
    call_name_ = std::move(saved_name);
    call_site_ = saved_site;
    return result;
  }

  Result<Value> var_value(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->first == name) return it->second;
    return error("undefined variable: " + name);
  }

  Status set_var(const std::string& name, const Value& value) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        it->second = value;
        return {};
      }
    }
    return error("undefined variable: " + name);
  }

  const Program& program_;
  bool header_mode_;
  std::string& out_;
  std::vector<std::pair<std::string, Value>> vars_;
  Site site_;
  std::string template_name_;
  std::string call_name_;
  Site call_site_;
  int depth_ = 0;
  int template_depth_ = 0;
};

// ---- Builtins (Go's funcs.go) ----

const Json* as_any(const CallArg& a) { return a.value ? a.value.get() : nullptr; }

std::vector<const Json*> as_any_list(std::span<const CallArg> args) {
  std::vector<const Json*> out;
  for (const CallArg& a : args) out.push_back(as_any(a));
  return out;
}

Result<Value> fn_not(Executor&, std::span<const CallArg> args) { return own(!truth(args[0].value)); }

Result<Value> fn_len(Executor& ex, std::span<const CallArg> args) {
  const Value& v = args[0].value;
  if (!v) return ex.call_error("len of untyped nil");
  if (v->is_null()) return ex.call_error("len of nil pointer");
  if (v->is_string()) return own(static_cast<int64_t>(v->get_ref<const std::string&>().size()));
  if (v->is_array() || v->is_object()) return own(static_cast<int64_t>(v->size()));
  return ex.call_error("len of type " + go_type_name(*v));
}

// An index into an array or string of `size` (Go's indexArg).
Result<int64_t> index_arg(Executor& ex, const Value& index, size_t size, bool slicing) {
  if (!index || index->is_null()) return ex.call_error("cannot index slice/array with nil");
  if (!index->is_number_integer()) return ex.call_error("cannot index slice/array with type " + go_type_name(*index));
  int64_t x = index->is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(index->get<uint64_t>(), INT64_MAX))
                                          : index->get<int64_t>();
  if (x < 0 || static_cast<uint64_t>(x) > size || (!slicing && static_cast<uint64_t>(x) == size))
    return ex.call_error(fmt::format("index out of range: {}", x));
  return x;
}

Result<Value> fn_index(Executor& ex, std::span<const CallArg> args) {
  Value item = args[0].value;
  if (!item) return ex.call_error("index of untyped nil");
  for (const CallArg& a : args.subspan(1)) {
    const Json& j = *item;
    if (j.is_array() || j.is_string() || (j.is_null() && a.value && a.value->is_number_integer())) {
      size_t size = j.is_null() ? 0 : j.is_string() ? j.get_ref<const std::string&>().size() : j.size();
      int64_t x = TRY(index_arg(ex, a.value, size, false));
      if (j.is_string())
        item = own(static_cast<int64_t>(static_cast<unsigned char>(j.get_ref<const std::string&>()[static_cast<size_t>(x)])));
      else
        item = part_of(item, j[static_cast<size_t>(x)]);
    } else if (j.is_object() || j.is_null()) {
      if (!a.value || a.value->is_null()) return ex.call_error("value is nil; should be of type string");
      if (!a.value->is_string())
        return ex.call_error(fmt::format("value has type {}; should be string", go_type_name(*a.value)));
      if (j.is_null()) {
        item = own("");  // a nil map[string]string, such as docker's unset labels
        continue;
      }
      auto it = j.find(a.value->get_ref<const std::string&>());
      if (it != j.end())
        item = part_of(item, *it);
      else
        item = looks_like_string_map(j) ? own("") : Value();
    } else {
      return ex.call_error("can't index item of type " + go_type_name(j));
    }
    if (!item) break;
  }
  return item;
}

Result<Value> fn_slice(Executor& ex, std::span<const CallArg> args) {
  const Value& item = args[0].value;
  if (!item) return ex.call_error("slice of untyped nil");
  auto indexes = args.subspan(1);
  if (indexes.size() > 3) return ex.call_error(fmt::format("too many slice indexes: {}", indexes.size()));
  size_t size;
  if (item->is_string()) {
    if (indexes.size() == 3) return ex.call_error("cannot 3-index slice a string");
    size = item->get_ref<const std::string&>().size();
  } else if (item->is_array()) {
    size = item->size();
  } else {
    return ex.call_error("can't slice item of type " + go_type_name(*item));
  }
  int64_t idx[3] = {0, static_cast<int64_t>(size), static_cast<int64_t>(size)};
  for (size_t i = 0; i < indexes.size(); ++i) idx[i] = TRY(index_arg(ex, indexes[i].value, size, true));
  if (idx[0] > idx[1]) return ex.call_error(fmt::format("invalid slice index: {} > {}", idx[0], idx[1]));
  if (indexes.size() == 3 && idx[1] > idx[2])
    return ex.call_error(fmt::format("invalid slice index: {} > {}", idx[1], idx[2]));
  auto from = static_cast<size_t>(idx[0]);
  auto to = static_cast<size_t>(idx[1]);
  if (item->is_string()) return own(item->get_ref<const std::string&>().substr(from, to - from));
  Json out = Json::array();
  for (size_t i = from; i < to; ++i) out.push_back((*item)[i]);
  return own(std::move(out));
}

Result<Value> fn_print(Executor&, std::span<const CallArg> args) { return own(go_sprint(as_any_list(args))); }
Result<Value> fn_println(Executor&, std::span<const CallArg> args) { return own(go_sprintln(as_any_list(args))); }

Result<Value> fn_printf(Executor& ex, std::span<const CallArg> args) {
  std::string format = TRY(ex.string_arg(args[0]));
  return own(go_sprintf(format, as_any_list(args.subspan(1))));
}

// ---- Comparisons (Go's eq, lt and friends) ----

enum class Kind { Invalid, Bool, Int, Float, String, Other };

Kind kind_of(const Value& v) {
  if (!v || v->is_null()) return Kind::Invalid;
  if (v->is_boolean()) return Kind::Bool;
  if (v->is_number_integer()) return Kind::Int;
  if (v->is_number_float()) return Kind::Float;
  if (v->is_string()) return Kind::String;
  return Kind::Other;
}

// -1, 0 or 1, for two integers of either signedness.
int compare_ints(const Json& a, const Json& b) {
  bool a_neg = !a.is_number_unsigned() && a.get<int64_t>() < 0;
  bool b_neg = !b.is_number_unsigned() && b.get<int64_t>() < 0;
  if (a_neg != b_neg) return a_neg ? -1 : 1;
  if (a_neg) {
    int64_t x = a.get<int64_t>(), y = b.get<int64_t>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  uint64_t x = a.is_number_unsigned() ? a.get<uint64_t>() : static_cast<uint64_t>(a.get<int64_t>());
  uint64_t y = b.is_number_unsigned() ? b.get<uint64_t>() : static_cast<uint64_t>(b.get<int64_t>());
  return x < y ? -1 : x > y ? 1 : 0;
}

Result<bool> equal(Executor& ex, const Value& a, const Value& b) {
  Kind ka = kind_of(a), kb = kind_of(b);
  if (ka != kb) {
    if (ka != Kind::Invalid && kb != Kind::Invalid) return ex.call_error("incompatible types for comparison");
    return false;
  }
  switch (ka) {
    case Kind::Invalid: return true;
    case Kind::Bool: return a->get<bool>() == b->get<bool>();
    case Kind::Int: return compare_ints(*a, *b) == 0;
    case Kind::Float: return a->get<double>() == b->get<double>();
    case Kind::String: return a->get_ref<const std::string&>() == b->get_ref<const std::string&>();
    case Kind::Other: break;
  }
  return ex.call_error(fmt::format("non-comparable type {}: {}", go_print(*a), go_type_name(*a)));
}

Result<bool> less(Executor& ex, const Value& a, const Value& b) {
  Kind ka = kind_of(a), kb = kind_of(b);
  if (ka == Kind::Invalid || ka == Kind::Other || kb == Kind::Invalid || kb == Kind::Other)
    return ex.call_error("invalid type for comparison");
  if (ka != kb) return ex.call_error("incompatible types for comparison");
  switch (ka) {
    case Kind::Int: return compare_ints(*a, *b) < 0;
    case Kind::Float: return a->get<double>() < b->get<double>();
    case Kind::String: return a->get_ref<const std::string&>() < b->get_ref<const std::string&>();
    default: return ex.call_error("invalid type for comparison");
  }
}

Result<Value> fn_eq(Executor& ex, std::span<const CallArg> args) {
  if (args.size() < 2) return ex.call_error("missing argument for comparison");
  for (const CallArg& other : args.subspan(1))
    if (TRY(equal(ex, args[0].value, other.value))) return own(true);
  return own(false);
}

Result<Value> fn_ne(Executor& ex, std::span<const CallArg> args) {
  return own(!TRY(equal(ex, args[0].value, args[1].value)));
}

Result<Value> fn_lt(Executor& ex, std::span<const CallArg> args) { return own(TRY(less(ex, args[0].value, args[1].value))); }

Result<Value> fn_le(Executor& ex, std::span<const CallArg> args) {
  if (TRY(less(ex, args[0].value, args[1].value))) return own(true);
  return own(TRY(equal(ex, args[0].value, args[1].value)));
}

Result<Value> fn_gt(Executor& ex, std::span<const CallArg> args) {
  Value le = TRY(fn_le(ex, args));
  return own(!le->get<bool>());
}

Result<Value> fn_ge(Executor& ex, std::span<const CallArg> args) {
  return own(!TRY(less(ex, args[0].value, args[1].value)));
}

// ---- Escapers ----

// Go's evalArgs: one string as is, else fmt.Sprint with missing values as "<no value>".
std::string escaper_input(std::span<const CallArg> args) {
  if (args.size() == 1 && args[0].value && args[0].value->is_string()) return args[0].value->get<std::string>();
  static const Json kNoValue = "<no value>";
  std::vector<const Json*> values;
  for (const CallArg& a : args) values.push_back(a.value && !a.value->is_null() ? a.value.get() : &kNoValue);
  return go_sprint(values);
}

Result<Value> fn_html(Executor&, std::span<const CallArg> args) {
  std::string out;
  for (char c : escaper_input(args)) {
    switch (c) {
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\0': out += "\xEF\xBF\xBD"; break;
      default: out += c;
    }
  }
  return own(std::move(out));
}

Result<Value> fn_js(Executor&, std::span<const CallArg> args) {
  std::string out;
  for (char c : escaper_input(args)) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '"': out += "\\\""; break;
      case '<': out += "\\u003C"; break;
      case '>': out += "\\u003E"; break;
      case '&': out += "\\u0026"; break;
      case '=': out += "\\u003D"; break;
      default:
        if (static_cast<unsigned char>(c) < ' ')
          out += fmt::format("\\u{:04X}", static_cast<unsigned char>(c));
        else
          out += c;
    }
  }
  return own(std::move(out));
}

Result<Value> fn_urlquery(Executor&, std::span<const CallArg> args) {
  std::string out;
  for (char c : escaper_input(args)) {
    auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~')
      out += c;
    else if (c == ' ')
      out += '+';
    else
      out += fmt::format("%{:02X}", u);
  }
  return own(std::move(out));
}

// ---- docker's functions (cli/templates) ----

Result<Value> fn_json(Executor&, std::span<const CallArg> args) {
  const Json* v = as_any(args[0]);
  return own(v ? to_compact_json(*v) : std::string("null"));
}

Result<Value> fn_split(Executor& ex, std::span<const CallArg> args) {
  std::string s = TRY(ex.string_arg(args[0]));
  std::string sep = TRY(ex.string_arg(args[1]));
  Json out = Json::array();
  if (sep.empty()) {
    // Go splits into UTF-8 sequences.
    for (size_t i = 0; i < s.size();) {
      size_t len = 1;
      while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80) ++len;
      out.push_back(s.substr(i, len));
      i += len;
    }
    return own(std::move(out));
  }
  size_t start = 0;
  for (size_t at; (at = s.find(sep, start)) != std::string::npos; start = at + sep.size())
    out.push_back(s.substr(start, at - start));
  out.push_back(s.substr(start));
  return own(std::move(out));
}

Result<Value> fn_join(Executor& ex, std::span<const CallArg> args) {
  std::vector<std::string> elems = TRY(ex.string_list_arg(args[0]));
  std::string sep = TRY(ex.string_arg(args[1]));
  std::string out;
  for (size_t i = 0; i < elems.size(); ++i) out += (i > 0 ? sep : "") + elems[i];
  return own(std::move(out));
}

// strings.Title for ASCII: upper-cases the first letter of each word.
Result<Value> fn_title(Executor& ex, std::span<const CallArg> args) {
  std::string s = TRY(ex.string_arg(args[0]));
  auto separator = [](char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) return false;
    return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
  };
  char prev = ' ';
  for (char& c : s) {
    bool after_separator = separator(prev);
    prev = c;
    if (after_separator && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return own(std::move(s));
}

Result<Value> fn_lower(Executor& ex, std::span<const CallArg> args) {
  std::string s = TRY(ex.string_arg(args[0]));
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return own(std::move(s));
}

Result<Value> fn_upper(Executor& ex, std::span<const CallArg> args) {
  std::string s = TRY(ex.string_arg(args[0]));
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return own(std::move(s));
}

// pad s prefix suffix: spaces around a non-empty s.
Result<Value> fn_pad(Executor& ex, std::span<const CallArg> args) {
  std::string s = TRY(ex.string_arg(args[0]));
  int64_t prefix = TRY(ex.int_arg(args[1]));
  int64_t suffix = TRY(ex.int_arg(args[2]));
  if (s.empty()) return own(std::move(s));
  if (prefix < 0 || suffix < 0) return ex.call_error("strings: negative Repeat count");
  if (prefix > (1 << 20) || suffix > (1 << 20)) return ex.call_error("strings: Repeat output length overflow");
  return own(std::string(static_cast<size_t>(prefix), ' ') + s + std::string(static_cast<size_t>(suffix), ' '));
}

// truncate s n: the first n bytes of s.
Result<Value> fn_truncate(Executor& ex, std::span<const CallArg> args) {
  std::string s = TRY(ex.string_arg(args[0]));
  int64_t n = TRY(ex.int_arg(args[1]));
  if (static_cast<int64_t>(s.size()) < n) return own(std::move(s));
  if (n < 0) return ex.call_error(fmt::format("runtime error: slice bounds out of range [:{}]", n));
  return own(s.substr(0, static_cast<size_t>(n)));
}

// docker's HeaderFunctions: the column title passes through unchanged.
Result<Value> header_first_string(Executor& ex, std::span<const CallArg> args) {
  std::string s = TRY(ex.string_arg(args[0]));
  for (const CallArg& a : args.subspan(1)) TRY(ex.string_arg(a));
  return own(std::move(s));
}

Result<Value> header_truncate(Executor& ex, std::span<const CallArg> args) {
  std::string s = TRY(ex.string_arg(args[0]));
  TRY(ex.int_arg(args[1]));
  return own(std::move(s));
}

// and/or short-circuit, so the executor evaluates them itself.
Result<Value> short_circuit(Executor& ex, std::span<const CallArg>) { return ex.call_error("internal error"); }

constexpr Function kFunctions[] = {
    {"and", 1, true, short_circuit},
    {"eq", 1, true, fn_eq},
    {"ge", 2, false, fn_ge},
    {"gt", 2, false, fn_gt},
    {"html", 0, true, fn_html},
    {"index", 1, true, fn_index},
    {"join", 2, false, fn_join, header_first_string},
    {"js", 0, true, fn_js},
    {"json", 1, false, fn_json, header_first_string},
    {"le", 2, false, fn_le},
    {"len", 1, false, fn_len},
    {"lower", 1, false, fn_lower, header_first_string},
    {"lt", 2, false, fn_lt},
    {"ne", 2, false, fn_ne},
    {"not", 1, false, fn_not},
    {"or", 1, true, short_circuit},
    {"pad", 3, false, fn_pad},
    {"print", 0, true, fn_print},
    {"printf", 1, true, fn_printf},
    {"println", 0, true, fn_println},
    {"slice", 1, true, fn_slice},
    {"split", 2, false, fn_split, header_first_string},
    {"title", 1, false, fn_title, header_first_string},
    {"truncate", 2, false, fn_truncate, header_truncate},
    {"upper", 1, false, fn_upper, header_first_string},
    {"urlquery", 0, true, fn_urlquery},
};

const Function* find_function(std::string_view name) {
  for (const Function& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace

bool is_function(std::string_view name) { return find_function(name) != nullptr; }

Status execute_program(const Program& program, const Json& data, bool header_mode, std::string& out) {
  try {
    Executor executor(program, header_mode, out);
    return executor.run(data);
  } catch (const std::exception& e) {
    // nlohmann or the allocator; the executor itself never throws.
    return make_error("template: : executing \"\": {}", e.what());
  }
}

}  // namespace skiff::template_internal
