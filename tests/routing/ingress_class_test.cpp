// Which Ingresses are ours (SPEC.md §1).
#include <gtest/gtest.h>

#include "routing/fixtures.h"

namespace gatehouse::routing {
namespace {

using namespace testing;  // NOLINT
constexpr auto P = PathType::kPrefix;

model::IngressClass ingress_class(std::string name, std::string controller, bool is_default) {
  model::IngressClass c;
  c.meta.name = std::move(name);
  c.controller = std::move(controller);
  if (is_default) c.meta.annotations[kDefaultClassAnnotation] = "true";
  return c;
}

model::Ingress classed(std::optional<std::string> class_name,
                       std::optional<std::string> annotation = std::nullopt) {
  auto i = ingress("i", {rule("c.org", {path("/", P, "svc")})});
  i.ingress_class_name = std::move(class_name);
  if (annotation) i.meta.annotations[kLegacyClassAnnotation] = *annotation;
  return i;
}

bool served(model::Ingress i, std::vector<model::IngressClass> classes,
            CompileOptions options = {}) {
  model::Objects o;
  o.ingresses = {std::move(i)};
  o.ingress_classes = std::move(classes);
  return !compile_with_backends(o, options).table->route_count() == 0;
}

TEST(IngressClass, ByIngressClassName) {
  auto ours = ingress_class("mine", kControllerName, false);
  auto theirs = ingress_class("nginx", "k8s.io/ingress-nginx", false);
  EXPECT_TRUE(served(classed("mine"), {ours, theirs}));
  EXPECT_FALSE(served(classed("nginx"), {ours, theirs}));
  EXPECT_FALSE(served(classed("missing"), {ours, theirs}));
}

TEST(IngressClass, AMissingClassIsReported) {
  model::Objects o;
  o.ingresses = {classed("gatehouse")};
  auto c = compile_with_backends(o);
  EXPECT_TRUE(c.table->route_count() == 0);
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.diagnostics[0].field, "spec.ingressClassName");
}

TEST(IngressClass, ByLegacyAnnotation) {
  EXPECT_TRUE(served(classed(std::nullopt, "gatehouse"), {}));
  EXPECT_FALSE(served(classed(std::nullopt, "nginx"), {}));
  CompileOptions options;
  options.ingress_class = "edge";
  EXPECT_TRUE(served(classed(std::nullopt, "edge"), {}, options));
  EXPECT_FALSE(served(classed(std::nullopt, "gatehouse"), {}, options));
}

TEST(IngressClass, ByDefaultClass) {
  CompileOptions strict;
  strict.watch_ingress_without_class = false;
  EXPECT_TRUE(served(classed(std::nullopt), {ingress_class("mine", kControllerName, true)}, strict));
  EXPECT_FALSE(served(classed(std::nullopt),
                      {ingress_class("nginx", "k8s.io/ingress-nginx", true)}));
}

TEST(IngressClass, TwoDefaultClassesMeanNoDefault) {
  CompileOptions strict;
  strict.watch_ingress_without_class = false;
  model::Objects o;
  o.ingresses = {classed(std::nullopt)};
  o.ingress_classes = {ingress_class("a", kControllerName, true),
                       ingress_class("b", kControllerName, true)};
  auto c = compile_with_backends(o, strict);
  EXPECT_TRUE(c.table->route_count() == 0);
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.diagnostics[0].kind, "IngressClass");
}

TEST(IngressClass, WithoutAnyClassFollowsTheOption) {
  EXPECT_TRUE(served(classed(std::nullopt), {}));
  CompileOptions strict;
  strict.watch_ingress_without_class = false;
  EXPECT_FALSE(served(classed(std::nullopt), {}, strict));
}

}  // namespace
}  // namespace gatehouse::routing
