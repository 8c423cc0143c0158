#include "source/kube/object_cache.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>

#include "routing/compile.h"
#include "source/kube/watch_protocol.h"

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
  // Until the first take (after the first sync) a cache reports `all`, not a growing key list.
  EXPECT_EQ(keys(cache.take_changes()), "all ");
  EXPECT_EQ(keys(cache.take_changes()), "");
  cache.put(model::Kind::kService, service("a", "x", "9"));
  cache.put(model::Kind::kService, service("b", "x", "10"));
  EXPECT_EQ(keys(cache.take_changes()), "Service:a/x Service:b/x ");

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

namespace gatehouse::source::kube {
namespace {

// The watch events of tests/fuzz/corpus/watch/foobar-events.txt, applied one checkpoint ("C")
// at a time: the compiler, told only the keys the cache reports, must give what a full compile
// of the same objects gives — a change the cache forgot to report would show here.
TEST(WatchProtocol, IncrementalCompileFromEventsMatchesAFullCompile) {
  std::ifstream in(std::string(GATEHOUSE_SOURCE_DIR) + "/tests/fuzz/corpus/watch/foobar-events.txt");
  ASSERT_TRUE(in);
  ObjectCache cache;
  routing::Compiler compiler({});
  int checkpoints = 0;
  auto routes = [](const routing::Compiled& c) {
    std::string out;
    for (const auto& view : c.table->routes()) {
      const auto& cluster = c.table->cluster(view.route->cluster);
      out += view.host->host() + std::string(view.route->path) + " " + cluster.label() + " " +
             std::to_string(cluster.endpoints.size()) + "\n";
    }
    for (const auto& d : c.diagnostics) out += d.to_string() + "\n";
    return out;
  };
  std::vector<std::string> seen;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (line == "C") {
      const auto objects = cache.objects();
      const std::string incremental = routes(compiler.compile(*objects, cache.take_changes()));
      EXPECT_EQ(incremental, routes(routing::compile(*objects, {}))) << "checkpoint " << checkpoints;
      seen.push_back(incremental);
      ++checkpoints;
      continue;
    }
    const model::Kind kinds[] = {model::Kind::kIngress, model::Kind::kIngressClass,
                                 model::Kind::kService, model::Kind::kEndpointSlice,
                                 model::Kind::kSecret};
    const model::Kind kind = kinds[(line[0] - '0') % 5];
    apply_watch_event(line.substr(1), kind, kind != model::Kind::kIngressClass, cache);
  }
  EXPECT_EQ(checkpoints, 3);
  // The checkpoints saw the edits: the path change, then Service bar-b gone.
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_NE(seen[0], seen[1]);
  EXPECT_NE(seen[1], seen[2]);
}

}  // namespace
}  // namespace gatehouse::source::kube
