#include "model/diagnostic.h"

namespace gatehouse::model {

std::string Diagnostic::to_string() const {
  std::string out;
  if (origin.file == "kube") {
    out += "kube: ";  // an object from the API server: no file, no document
  } else if (!origin.file.empty()) {
    out += origin.file;
    out += '#';
    out += std::to_string(origin.document);
    out += ": ";
  }
  out += severity == Severity::kError ? "error: " : "warning: ";
  if (!kind.empty()) {
    out += kind;
    if (!name.empty()) {
      out += ' ';
      if (!namespace_.empty()) {
        out += namespace_;
        out += '/';
      }
      out += name;
    }
    out += ": ";
  }
  if (!field.empty()) {
    out += field;
    out += ": ";
  }
  out += message;
  return out;
}

bool has_errors(const Diagnostics& diagnostics) {
  for (const auto& d : diagnostics)
    if (d.severity == Severity::kError) return true;
  return false;
}

}  // namespace gatehouse::model
