// The options every manifest-reading subcommand shares (--manifests, --ingress-class, ...), and
// the one path from them to a compiled table: load, decode, validate, compile (and load the
// certificates the Ingresses name, for their diagnostics).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "model/diagnostic.h"
#include "routing/compile.h"

namespace gatehouse::app {

// A boolean option: `--NAME true|false` (or `--NAME=false`), shown with its default spelled out
// (CLI11 alone prints "BOOLEAN=1").
CLI::Option* add_bool_option(CLI::App& command, const std::string& name, bool& value,
                             const std::string& description);

struct ManifestOptions {
  std::vector<std::string> manifests;
  std::string ingress_class = routing::kDefaultClassName;
  bool watch_ingress_without_class = true;  // files were given to us: serve class-less Ingresses
  std::string default_backend;              // NAMESPACE/SERVICE:PORT, "" for the built-in 404
  // --unsupported-annotations: "refuse" (an Ingress whose unimplemented annotation would expose
  // it is not served) or "warn" (served without it, with a warning).
  routing::UnsupportedAnnotations unsupported_annotations = routing::UnsupportedAnnotations::kRefuse;

  // `manifests_required` false where another source can stand in (serve --kubeconfig).
  void add_to(CLI::App& command, bool manifests_required = true);
  // The compiler's options these give (the default backend, which can fail, apart).
  routing::CompileOptions compile_options() const;
};

struct Loaded {
  routing::Compiled compiled;
  model::Diagnostics diagnostics;  // decoding and validation, then compilation
  std::size_t object_count = 0;
  bool ok = true;  // false when an option itself is invalid (the message is in diagnostics)
};

Loaded load_and_compile(const ManifestOptions& options);

}  // namespace gatehouse::app
