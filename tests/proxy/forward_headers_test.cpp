// Whose X-Forwarded-For is believed: AddressSet (--trust-forwarded-from) and the fields written.
#include "proxy/forward_headers.h"

#include <gtest/gtest.h>

namespace gatehouse::proxy {
namespace {

AddressSet set_of(std::initializer_list<const char*> blocks) {
  AddressSet set;
  for (const char* b : blocks) EXPECT_EQ(set.add(b), "") << b;
  return set;
}

TEST(AddressSet, MatchesV4AndV6BlocksAndMappedAddresses) {
  const AddressSet set = set_of({"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "0.0.0.0/0"});
  const AddressSet narrow = set_of({"10.0.0.0/8", "192.0.2.7", "2001:db8::/32"});
  EXPECT_TRUE(narrow.contains("10.255.0.1"));
  EXPECT_FALSE(narrow.contains("11.0.0.1"));
  EXPECT_TRUE(narrow.contains("192.0.2.7"));
  EXPECT_FALSE(narrow.contains("192.0.2.8"));
  EXPECT_TRUE(narrow.contains("2001:db8:1::5"));
  EXPECT_FALSE(narrow.contains("2001:db9::5"));
  EXPECT_TRUE(narrow.contains("::ffff:10.1.2.3"));  // IPv4-mapped: matched as IPv4
  EXPECT_FALSE(narrow.contains("not-an-address"));
  EXPECT_TRUE(set.contains("8.8.8.8"));
  EXPECT_FALSE(set.contains("::1"));  // 0.0.0.0/0 is IPv4 only
  EXPECT_FALSE(AddressSet().contains("10.0.0.1"));
}

TEST(AddressSet, RefusesWhatIsNotABlock) {
  AddressSet set;
  EXPECT_NE(set.add("10.0.0.0/33"), "");
  EXPECT_NE(set.add("10.1.2.3/8"), "");  // host bits set: a typo more often than not
  EXPECT_NE(set.add("10.0.0.0/"), "");
  EXPECT_NE(set.add("10.0.0.0/8x"), "");
  EXPECT_NE(set.add("example.com"), "");
  EXPECT_NE(set.add("::/129"), "");
  EXPECT_TRUE(set.empty());
}

std::string fields(const Forwarding& f) {
  std::string head;
  append_forwarding_fields_with(head, f, 0, 0);
  return head;
}

TEST(ForwardHeaders, ByDefaultThePeerIsTheClientAndTheClaimIsKeptApart) {
  Forwarding f;
  f.client_ip = "192.0.2.1";
  f.prior_forwarded_for = "203.0.113.9";
  f.has_prior_forwarded_for = true;
  f.host = "foo.org";
  f.port = 80;
  const std::string head = fields(f);
  EXPECT_NE(head.find("X-Forwarded-For: 192.0.2.1\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Real-IP: 192.0.2.1\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Original-Forwarded-For: 203.0.113.9\r\n"), std::string::npos) << head;
}

TEST(ForwardHeaders, ATrustedPeerExtendsTheListAndNamesTheRealClient) {
  const AddressSet trusted = set_of({"10.0.0.0/8"});
  Forwarding f;
  f.client_ip = "10.0.0.5";
  f.prior_forwarded_for = "198.51.100.66, 203.0.113.9,10.1.1.1";
  f.has_prior_forwarded_for = true;
  f.trusted = &trusted;
  const std::string head = fields(f);
  EXPECT_NE(head.find("X-Forwarded-For: 198.51.100.66, 203.0.113.9,10.1.1.1, 10.0.0.5\r\n"),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("X-Real-IP: 203.0.113.9\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("X-Original-Forwarded-For"), std::string::npos) << head;
  // An untrusted peer's claim is not believed even with the option set.
  f.client_ip = "192.0.2.1";
  EXPECT_NE(fields(f).find("X-Real-IP: 192.0.2.1\r\n"), std::string::npos);
}

TEST(ForwardHeaders, RealClientWalk) {
  const AddressSet trusted = set_of({"10.0.0.0/8", "::1"});
  EXPECT_EQ(real_client("10.0.0.5", "1.2.3.4", true, &trusted), "1.2.3.4");
  EXPECT_EQ(real_client("10.0.0.5", "10.0.0.9, 10.0.0.8", true, &trusted), "10.0.0.9");
  EXPECT_EQ(real_client("10.0.0.5", "garbage, 10.0.0.8", true, &trusted), "10.0.0.8");
  EXPECT_EQ(real_client("10.0.0.5", "1.2.3.4, garbage", true, &trusted), "10.0.0.5");
  EXPECT_EQ(real_client("10.0.0.5", "", true, &trusted), "10.0.0.5");
  EXPECT_EQ(real_client("10.0.0.5", "1.2.3.4", false, &trusted), "10.0.0.5");
  EXPECT_EQ(real_client("::1", "2001:db8::7", true, &trusted), "2001:db8::7");
  EXPECT_EQ(real_client("192.0.2.1", "1.2.3.4", true, &trusted), "192.0.2.1");
}

}  // namespace
}  // namespace gatehouse::proxy
