#include "source/kube/object_cache.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace gatehouse::source::kube {
namespace {

namespace json = boost::json;

json::value service(const std::string& ns, const std::string& name, const std::string& version,
                    int port = 80) {
  return json::parse(R"({"metadata":{"namespace":")" + ns + R"(","name":")" + name +
                     R"(","resourceVersion":")" + version + R"("},"spec":{"ports":[{"port":)" +
                     std::to_string(port) + "}]}}");
}

std::string names(const model::Objects& o) {
  std::string out;
  for (const auto& s : o.services) out += s.meta.namespace_ + "/" + s.meta.name + " ";
  return out;
}

std::string keys(const model::ObjectChanges& changes) {
  std::string out = changes.all ? "all " : "";
  for (const auto& k : changes.keys)
    out += std::string(model::to_string(k.kind)) + ":" + k.namespace_ + "/" + k.name + " ";
  return out;
}

TEST(ObjectCache, KeepsEachKindSortedAndReportsTheKeysThatChanged) {
  ObjectCache cache;
  // List items carry no kind or apiVersion: the cache supplies them.
  EXPECT_EQ(cache.put(model::Kind::kService, service("b", "x", "5")), "5");
  cache.put(model::Kind::kService, service("a", "y", "6"));
  cache.put(model::Kind::kService, service("a", "x", "7"));
  EXPECT_EQ(names(*cache.objects()), "a/x a/y b/x ");
  EXPECT_EQ(keys(cache.take_changes()), "Service:a/x Service:a/y Service:b/x ");
  EXPECT_EQ(keys(cache.take_changes()), "");

  // The same resourceVersion again (a relist) is no change; a new one replaces the object.
  cache.put(model::Kind::kService, service("a", "y", "6"));
  EXPECT_FALSE(cache.has_changes());
  cache.put(model::Kind::kService, service("a", "y", "8", 8080));
  EXPECT_EQ(cache.objects()->services[1].ports.at(0).port, 8080);
  cache.remove(model::Kind::kService, "b", "x");
  cache.remove(model::Kind::kService, "b", "never-there");
  EXPECT_EQ(names(*cache.objects()), "a/x a/y ");
  EXPECT_EQ(keys(cache.take_changes()), "Service:a/y Service:b/x ");
}

TEST(ObjectCache, AnInvalidObjectIsLeftOutWithADiagnosticAndReplacesNothing) {
  ObjectCache cache;
  cache.put(model::Kind::kService, service("a", "x", "1"));
  cache.take_changes();
  // A port number out of range fails validation: the old object goes too (it is no longer what
  // the API server holds), and the diagnostic names the object.
  cache.put(model::Kind::kService, service("a", "x", "2", 70000));
  EXPECT_EQ(names(*cache.objects()), "");
  EXPECT_EQ(keys(cache.take_changes()), "Service:a/x ");
  auto diagnostics = cache.take_diagnostics();
  ASSERT_FALSE(diagnostics.empty());
  EXPECT_EQ(diagnostics[0].name, "x");
  EXPECT_EQ(diagnostics[0].to_string(),
            "kube: error: Service a/x: spec.ports[0].port: must be between 1 and 65535, got 70000");
}

TEST(ObjectCache, KeepOnlyDropsWhatARelistNoLongerHasInItsScope) {
  ObjectCache cache;
  cache.put(model::Kind::kService, service("a", "x", "1"));
  cache.put(model::Kind::kService, service("a", "y", "2"));
  cache.put(model::Kind::kService, service("b", "z", "3"));
  cache.take_changes();
  cache.keep_only(model::Kind::kService, "a", {"a/y"});  // b is another informer's scope
  EXPECT_EQ(names(*cache.objects()), "a/y b/z ");
  EXPECT_EQ(keys(cache.take_changes()), "Service:a/x ");
  cache.keep_only(model::Kind::kService, "", {});
  EXPECT_EQ(names(*cache.objects()), "");
}

TEST(ObjectCache, ASnapshotHeldElsewhereIsNeverChangedUnderIt) {
  ObjectCache cache;
  cache.put(model::Kind::kService, service("a", "x", "1"));
  auto held = cache.objects();
  cache.put(model::Kind::kService, service("a", "y", "2"));
  EXPECT_EQ(names(*held), "a/x ");
  EXPECT_EQ(names(*cache.objects()), "a/x a/y ");
}

}  // namespace
}  // namespace gatehouse::source::kube
