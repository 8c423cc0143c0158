#include "app/manifest_options.h"

#include "proxy/tls/cert_store.h"
#include "source/files.h"

namespace gatehouse::app {

CLI::Option* add_bool_option(CLI::App& command, const std::string& name, bool& value,
                             const std::string& description) {
  return command.add_option(name, value, description)
      ->type_name("true|false")
      ->default_str(value ? "true" : "false");
}

void ManifestOptions::add_to(CLI::App& command, bool manifests_required) {
  command
      .add_option("-m,--manifests", manifests,
                  "Manifest files or directories (*.yaml, *.yml, *.json in them, sorted)")
      ->required(manifests_required);
  command.add_option("--ingress-class", ingress_class,
                     "Class name matched against the kubernetes.io/ingress.class annotation")
      ->capture_default_str();
  add_bool_option(command, "--watch-ingress-without-class", watch_ingress_without_class,
                  "Serve Ingresses that name no class (default: true for manifest files, false "
                  "for an API server)");
  command.add_option("--default-backend", default_backend,
                     "NAMESPACE/SERVICE:PORT answering requests no rule matches (default: 404)");
  command
      .add_option_function<std::string>(
          "--unsupported-annotations",
          [this](const std::string& value) {
            if (!routing::parse_unsupported_annotations(value, unsupported_annotations))
              throw CLI::ValidationError("--unsupported-annotations", "expected refuse or warn");
          },
          "Another controller's annotation gatehouse does not implement (ingress-nginx's auth-url, "
          "whitelist-source-range, ...): refuse (default) leaves an Ingress whose annotation "
          "protects it unserved; warn serves it without, with a warning")
      ->type_name("refuse|warn");
}

routing::CompileOptions ManifestOptions::compile_options() const {
  routing::CompileOptions out;
  out.ingress_class = ingress_class;
  out.watch_ingress_without_class = watch_ingress_without_class;
  out.unsupported_annotations = unsupported_annotations;
  return out;
}

Loaded load_and_compile(const ManifestOptions& options) {
  Loaded out;
  routing::CompileOptions compile_options = options.compile_options();
  if (!options.default_backend.empty()) {
    auto ref = routing::parse_service_ref(options.default_backend);
    if (!ref) {
      out.ok = false;
      out.diagnostics.push_back(model::Diagnostic::about_option(
          model::Severity::kError, "--default-backend", ref.error().message));
      return out;
    }
    compile_options.default_backend = *ref;
  }
  source::Loaded loaded = source::load_manifests(options.manifests);
  const model::Objects& o = loaded.objects;
  out.object_count = o.ingresses.size() + o.ingress_classes.size() + o.services.size() +
                     o.endpoint_slices.size() + o.secrets.size();
  out.diagnostics = std::move(loaded.diagnostics);
  routing::Compiler compiler(compile_options);
  out.compiled = compiler.compile(loaded.objects, model::ObjectChanges::everything());
  for (auto& d : out.compiled.diagnostics) out.diagnostics.push_back(std::move(d));
  // The certificates spec.tls names are loaded as serve would load them: a broken one is an error.
  proxy::tls::CertStore certificates(std::nullopt);
  auto tls = certificates.update(
      loaded.objects, model::ObjectChanges::everything(),
      [&](const std::string& ns, const std::string& name) { return compiler.owns(ns, name); });
  for (auto& d : tls.diagnostics) out.diagnostics.push_back(std::move(d));
  out.compiled.diagnostics.clear();
  return out;
}

}  // namespace gatehouse::app
