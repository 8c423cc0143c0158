#include "model/yaml_to_json.h"

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <istream>
#include <optional>
#include <streambuf>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/strings.h"

namespace gatehouse::model {
namespace json = boost::json;

namespace {

// Reads a string_view through std::istream without copying it (yaml-cpp only takes a stream).
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    // The buffer is only read: streambuf's get area wants char*, never writes through it.
    char* begin = const_cast<char*>(text.data());
    setg(begin, begin, begin + text.size());
  }
};

std::string at(const YAML::Mark& mark, std::string_view message) {
  if (mark.is_null()) return std::string(message);
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1) +
         ": " + std::string(message);
}

bool all_of_digits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 8 ? (c >= '0' && c <= '7')
              : base == 16
                  ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
                  : (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool is_core_float(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++int_digits;
  bool dot = i < s.size() && s[i] == '.';
  if (dot) {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

std::optional<json::value> unsigned_in_base(std::string_view digits, int base) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (v <= static_cast<std::uint64_t>(INT64_MAX)) return json::value(static_cast<std::int64_t>(v));
  return json::value(v);
}

// Builds JSON from yaml-cpp parse events, one document at a time. After the first problem in a
// document it ignores the rest of that document's events and reports the problem at its end.
class JsonBuilder final : public YAML::EventHandler {
 public:
  JsonBuilder(const YamlLimits& limits, std::size_t stream_budget, const YamlDocumentFn& fn)
      : limits_(limits), stream_budget_(stream_budget), fn_(fn) {}

  // The document a parse error belongs to: the open one, else the next.
  int error_document() const { return in_document_ ? document_ : next_document_; }
  bool failed() const { return failed_; }
  const std::string& failure() const { return failure_; }

  // True when the last document began where the one before it did: yaml-cpp 0.7 loops forever,
  // yielding empty documents, on a stray ',' after a top-level node ("[a], b").
  bool stalled() const { return stalled_; }
  const YAML::Mark& document_mark() const { return document_mark_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    stalled_ = next_document_ > 0 && mark.pos <= document_mark_.pos;
    document_mark_ = mark;
    document_ = next_document_++;
    in_document_ = true;
    failed_ = false;
    failure_.clear();
    stack_.clear();
    anchors_.clear();
    root_ = nullptr;
    document_nodes_ = 0;
  }

  void OnDocumentEnd() override {
    in_document_ = false;
    stack_.clear();
    anchors_.clear();
    if (failed_) {
      fn_(document_, Error::invalid(failure_));
    } else if (!root_.is_null()) {
      fn_(document_, std::move(root_));
    }
    root_ = nullptr;
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (failed_ || !charge(1, mark)) return;
    complete(nullptr, 1, 0, anchor, std::string("null"), mark);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (failed_) return;
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) return fail(mark, "an alias refers to a node that contains it");
    const Anchor& a = it->second;
    if (stack_.size() + a.depth > limits_.max_depth) return fail(mark, nesting_message());
    if (!charge(a.nodes, mark)) return;
    complete(a.value, a.nodes, a.depth, YAML::NullAnchor, a.key_text, mark);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (failed_ || !charge(1, mark)) return;
    json::value v;
    if (tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "tag:yaml.org,2002:binary") {
      v = json::string(value);  // quoted, block, or explicitly a string
    } else if (tag == "tag:yaml.org,2002:null") {
      v = nullptr;
    } else {
      v = resolve_plain_scalar(value);  // "?" and any other tag: as the core schema reads it
    }
    complete(std::move(v), 1, 0, anchor, value, mark);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(json::array(), anchor, mark);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(json::object(), anchor, mark);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    json::value value;               // the array or object being built
    std::optional<std::string> key;  // an object's key waiting for its value
    YAML::anchor_t anchor = YAML::NullAnchor;
    YAML::Mark mark;
    std::size_t nodes = 1;        // JSON nodes in this subtree so far
    std::size_t child_depth = 0;  // deepest child (0 = only scalars)
  };
  struct Anchor {
    json::value value;
    std::size_t nodes = 0;
    std::size_t depth = 0;
    std::optional<std::string> key_text;
  };

  std::string nesting_message() const {
    return "nesting deeper than " + std::to_string(limits_.max_depth) + " levels";
  }

  void fail(const YAML::Mark& mark, std::string_view message) {
    failed_ = true;
    failure_ = at(mark, message);
  }

  // Counts `n` new JSON nodes against the document and stream budgets.
  bool charge(std::size_t n, const YAML::Mark& mark) {
    document_nodes_ += n;
    stream_nodes_ += n;
    if (document_nodes_ > limits_.max_nodes) {
      fail(mark, "the document expands to more than " + std::to_string(limits_.max_nodes) +
                     " nodes (aliases of aliases?)");
      return false;
    }
    if (stream_nodes_ > stream_budget_) {
      fail(mark, "the stream expands to more than " + std::to_string(stream_budget_) + " nodes");
      return false;
    }
    return true;
  }

  void open(json::value container, YAML::anchor_t anchor, const YAML::Mark& mark) {
    if (failed_) return;
    if (!stack_.empty() && stack_.back().value.is_object() && !stack_.back().key)
      return fail(mark, "a mapping key must be a scalar");
    if (stack_.size() + 1 > limits_.max_depth) return fail(mark, nesting_message());
    if (!charge(1, mark)) return;
    stack_.push_back(Frame{std::move(container), std::nullopt, anchor, mark, 1, 0});
  }

  void close() {
    if (failed_ || stack_.empty()) return;
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    complete(std::move(frame.value), frame.nodes, frame.child_depth + 1, frame.anchor, std::nullopt,
             frame.mark);
  }

  // A node is finished: remember it under its anchor, then hand it to its parent (as a key or a
  // value) or make it the document's root. `key_text` is how it reads as a mapping key.
  void complete(json::value v, std::size_t nodes, std::size_t depth, YAML::anchor_t anchor,
                std::optional<std::string> key_text, const YAML::Mark& mark) {
    if (anchor != YAML::NullAnchor) {
      if (!charge(nodes, mark)) return;  // the copy kept for later aliases costs memory too
      anchors_[anchor] = Anchor{v, nodes, depth, v.is_structured() ? std::nullopt : key_text};
    }
    if (stack_.empty()) {
      root_ = std::move(v);
      return;
    }
    Frame& top = stack_.back();
    if (top.value.is_object() && !top.key) {
      if (!key_text) return fail(mark, "a mapping key must be a scalar");
      if (top.value.get_object().contains(*key_text))
        return fail(mark, "mapping key " + quoted(*key_text) + " already defined");
      top.key = std::move(key_text);
      return;
    }
    top.nodes += nodes;
    top.child_depth = std::max(top.child_depth, depth);
    if (top.value.is_array()) {
      top.value.get_array().push_back(std::move(v));
    } else {
      top.value.get_object().emplace(*top.key, std::move(v));
      top.key.reset();
    }
  }

  const YamlLimits& limits_;
  std::size_t stream_budget_;
  const YamlDocumentFn& fn_;

  int document_ = 0;
  int next_document_ = 0;
  YAML::Mark document_mark_;
  bool stalled_ = false;
  bool in_document_ = false;
  bool failed_ = false;
  std::string failure_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, Anchor> anchors_;
  json::value root_;
  std::size_t document_nodes_ = 0;
  std::size_t stream_nodes_ = 0;
};

}  // namespace

json::value resolve_plain_scalar(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;

  if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && all_of_digits(s.substr(2), 8))
    if (auto v = unsigned_in_base(s.substr(2), 8)) return *v;
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && all_of_digits(s.substr(2), 16))
    if (auto v = unsigned_in_base(s.substr(2), 16)) return *v;

  std::string_view digits = s;
  bool negative = false;
  if (digits[0] == '-' || digits[0] == '+') {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (all_of_digits(digits, 10)) {
    std::int64_t v = 0;
    std::string_view text = negative ? s : digits;  // from_chars takes '-' but not '+'
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && end == text.data() + text.size()) return v;
    // Too large for int64: still a number, as a double (falls through).
  }
  if (is_core_float(s)) return std::strtod(std::string(s).c_str(), nullptr);

  std::string_view rest = s;
  bool minus = false;
  if (rest[0] == '-' || rest[0] == '+') {
    minus = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest == ".inf" || rest == ".Inf" || rest == ".INF") return minus ? -HUGE_VAL : HUGE_VAL;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::nan("");
  return json::string(s);
}

void for_each_yaml_document(std::string_view text, const YamlDocumentFn& fn,
                            const YamlLimits& limits) {
  JsonBuilder builder(limits, limits.max_stream_nodes + text.size(), fn);
  try {
    ViewBuffer buffer(text);
    std::istream stream(&buffer);
    YAML::Parser parser(stream);
    while (parser.HandleNextDocument(builder)) {
      if (builder.stalled()) {
        fn(builder.error_document(),
           Error::invalid(at(builder.document_mark(), "unexpected text after a document")));
        return;
      }
    }
  } catch (const YAML::Exception& e) {
    // A failure already recorded (e.g. too deep) explains the parser's later complaint better.
    fn(builder.error_document(),
       Error::invalid(builder.failed() ? builder.failure() : at(e.mark, e.msg)));
  } catch (const std::exception& e) {
    fn(builder.error_document(), Error::invalid(std::string("cannot parse YAML: ") + e.what()));
  }
}

}  // namespace gatehouse::model
