#include "proxy/balance/balancer.h"

#include <gtest/gtest.h>

#include <vector>

namespace gatehouse::proxy {
namespace {

TEST(RoundRobin, SpreadsEvenlyAndSkipsBenchedEndpoints) {
  std::vector<EndpointLoad> loads(3);
  std::uint32_t cursor = 0;
  std::vector<int> hits(3);
  for (int i = 0; i < 300; ++i) ++hits[pick_round_robin(loads, cursor)];
  EXPECT_EQ(hits, (std::vector<int>{100, 100, 100}));

  loads[1].benched = true;
  hits.assign(3, 0);
  for (int i = 0; i < 300; ++i) ++hits[pick_round_robin(loads, cursor)];
  EXPECT_EQ(hits[1], 0);
  EXPECT_EQ(hits[0] + hits[2], 300);
}

TEST(RoundRobin, AllBenchedStillSpreads) {
  std::vector<EndpointLoad> loads(2, EndpointLoad{0, true});
  std::uint32_t cursor = 0;
  std::vector<int> hits(2);
  for (int i = 0; i < 10; ++i) ++hits[pick_round_robin(loads, cursor)];
  EXPECT_EQ(hits, (std::vector<int>{5, 5}));
}

TEST(LeastRequest, PrefersTheLessLoadedOfTwoAndNeverABenchedOne) {
  std::vector<EndpointLoad> loads{{10, false}, {0, false}};
  for (std::uint64_t r = 0; r < 64; ++r)
    EXPECT_EQ(pick_least_request(loads, r * 0x9E3779B97F4A7C15ull), 1u);
  loads = {{0, true}, {50, false}};
  for (std::uint64_t r = 0; r < 64; ++r)
    EXPECT_EQ(pick_least_request(loads, r * 0x9E3779B97F4A7C15ull), 1u);
  std::vector<EndpointLoad> one{{7, false}};
  EXPECT_EQ(pick_least_request(one, 12345), 0u);
}

TEST(LeastRequest, ShiftsLoadAwayFromABusyEndpoint) {
  std::vector<EndpointLoad> loads{{100, false}, {0, false}, {0, false}, {0, false}};
  int busy = 0;
  std::uint64_t r = 88172645463325252ull;
  for (int i = 0; i < 1000; ++i) {
    r ^= r << 13;
    r ^= r >> 7;
    r ^= r << 17;
    busy += pick_least_request(loads, r) == 0;
  }
  EXPECT_EQ(busy, 0);  // it can only win a draw against an equally loaded one, and none is
}

}  // namespace
}  // namespace gatehouse::proxy
