// The chunked decoder, fed as byte scripts in every split: whole, byte by byte, and at each cut.
#include "proxy/http1/chunked.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace gatehouse::proxy::http1 {
namespace {

using namespace std::string_literals;

struct Collect final : ChunkedSink {
  std::string data;
  std::vector<std::pair<std::string, std::string>> trailers;
  int empty_pieces = 0;

  void on_data(std::string_view piece) override {
    if (piece.empty()) ++empty_pieces;
    data.append(piece);
  }
  void on_trailer(const Header& field) override {
    trailers.emplace_back(std::string(field.name), std::string(field.value));
  }
};

struct Outcome {
  ChunkedStatus status = ChunkedStatus::kNeedMore;
  std::size_t consumed = 0;  // over all feeds
  std::string data;
  std::vector<std::pair<std::string, std::string>> trailers;
  int empty_pieces = 0;
};

// Feeds `input` in steps of `step` bytes the way a connection would: unconsumed bytes stay in
// the buffer, new bytes are appended, and the buffer is fed again.
Outcome decode(std::string_view input, std::size_t step, const ChunkedLimits& limits = {}) {
  ChunkedDecoder decoder(limits);
  Collect sink;
  std::string pending;
  std::size_t offset = 0;
  Outcome out;
  for (;;) {
    const std::size_t n = std::min(step, input.size() - offset);
    pending.append(input.substr(offset, n));
    offset += n;
    const ChunkedResult r = decoder.feed(pending, sink);
    EXPECT_LE(r.consumed, pending.size());
    out.consumed += r.consumed;
    pending.erase(0, r.consumed);
    out.status = r.status;
    if (r.status != ChunkedStatus::kNeedMore || offset == input.size()) break;
  }
  out.data = sink.data;
  out.trailers = sink.trailers;
  out.empty_pieces = sink.empty_pieces;
  return out;
}

Outcome decode_whole(std::string_view input, const ChunkedLimits& limits = {}) {
  return decode(input, input.size() + 1, limits);
}

void expect_same(const Outcome& a, const Outcome& b, const std::string& where) {
  EXPECT_EQ(a.status, b.status) << where;
  EXPECT_EQ(a.consumed, b.consumed) << where;
  EXPECT_EQ(a.data, b.data) << where;
  EXPECT_EQ(a.trailers, b.trailers) << where;
  EXPECT_EQ(a.empty_pieces, 0) << where;
  EXPECT_EQ(b.empty_pieces, 0) << where;
}

ChunkedStatus status_of(std::string_view input, const ChunkedLimits& limits = {}) {
  return decode_whole(input, limits).status;
}

TEST(Chunked, DecodesChunksUntilTheLastChunk) {
  const std::string body = "5\r\nhello\r\nA\r\n, chunked!\r\n0\r\n\r\n";
  const Outcome out = decode_whole(body);
  EXPECT_EQ(out.status, ChunkedStatus::kDone);
  EXPECT_EQ(out.consumed, body.size());
  EXPECT_EQ(out.data, "hello, chunked!");
  EXPECT_TRUE(out.trailers.empty());
}

TEST(Chunked, DataPiecesPointIntoTheInput) {
  const std::string body = "3\r\nabc\r\n0\r\n\r\n";
  struct Check final : ChunkedSink {
    std::string_view buffer;
    bool inside = true;
    void on_data(std::string_view d) override {
      inside = inside && d.data() >= buffer.data() &&
               d.data() + d.size() <= buffer.data() + buffer.size();
    }
    void on_trailer(const Header&) override {}
  } sink;
  sink.buffer = body;
  ChunkedDecoder decoder;
  EXPECT_EQ(decoder.feed(body, sink).status, ChunkedStatus::kDone);
  EXPECT_TRUE(sink.inside);
}

TEST(Chunked, HexSizesInEitherCaseWithLeadingZeros) {
  const std::string body = "0000a\r\n0123456789\r\nF\r\n0123456789abcde\r\n000\r\n\r\n";
  const Outcome out = decode_whole(body);
  EXPECT_EQ(out.status, ChunkedStatus::kDone);
  EXPECT_EQ(out.data, "01234567890123456789abcde");
}

TEST(Chunked, ExtensionsAreAllowedAndIgnored) {
  const std::string body =
      "5;name=value;flag\r\nhello\r\n6 ; q=\"a;b\"\r\n world\r\n0;last=1\r\n\r\n";
  const Outcome out = decode_whole(body);
  EXPECT_EQ(out.status, ChunkedStatus::kDone);
  EXPECT_EQ(out.data, "hello world");
}

TEST(Chunked, ExtensionsAreBounded) {
  ChunkedLimits limits;
  limits.max_extension = 16;
  EXPECT_EQ(status_of("1;" + std::string(15, 'x') + "\r\na\r\n0\r\n\r\n", limits),
            ChunkedStatus::kDone);  // ';' and 15 bytes
  EXPECT_EQ(status_of("1;" + std::string(16, 'x') + "\r\na\r\n0\r\n\r\n", limits),
            ChunkedStatus::kError);
  // Refused as soon as the limit is passed, without waiting for the line to end.
  EXPECT_EQ(status_of("1;" + std::string(5000, 'x')), ChunkedStatus::kError);
}

TEST(Chunked, ControlCharactersInExtensionsAreRefused) {
  EXPECT_EQ(status_of("1;a\nb\r\na\r\n0\r\n\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("1;a\rb\r\na\r\n0\r\n\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("1;a\0b\r\na\r\n0\r\n\r\n"s), ChunkedStatus::kError);
}

TEST(Chunked, TrailersAreReportedAfterTheLastChunk) {
  const std::string body =
      "3\r\nabc\r\n0\r\nX-Checksum: sha-1 \r\nServer-Timing:\tdb;dur=53\r\n\r\n";
  const Outcome out = decode_whole(body);
  EXPECT_EQ(out.status, ChunkedStatus::kDone);
  EXPECT_EQ(out.consumed, body.size());
  ASSERT_EQ(out.trailers.size(), 2u);
  EXPECT_EQ(out.trailers[0], (std::pair<std::string, std::string>("X-Checksum", "sha-1")));
  EXPECT_EQ(out.trailers[1], (std::pair<std::string, std::string>("Server-Timing", "db;dur=53")));
}

TEST(Chunked, TrailersFollowTheHeaderRules) {
  EXPECT_EQ(status_of("0\r\nX : a\r\n\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("0\r\nX: a\r\n b\r\n\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("0\r\nX: a\nY: b\r\n\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("0\r\nX(: a\r\n\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("0\r\nX: a\0\r\n\r\n"s), ChunkedStatus::kError);
  EXPECT_EQ(status_of("0\r\n\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("0\r\n\rX"), ChunkedStatus::kError);
}

TEST(Chunked, TrailerSectionIsBounded) {
  ChunkedLimits limits;
  limits.max_trailer_section = 32;
  const std::string fits = "X: " + std::string(32 - 7, 'v') + "\r\n";  // 30 bytes + final CRLF
  EXPECT_EQ(status_of("0\r\n" + fits + "\r\n", limits), ChunkedStatus::kDone);
  const std::string over = "X: " + std::string(32 - 6, 'v') + "\r\n";
  EXPECT_EQ(status_of("0\r\n" + over + "\r\n", limits), ChunkedStatus::kError);
  // An endless trailer line is refused once it cannot fit, whatever the split.
  const std::string endless = "0\r\nX: " + std::string(100, 'v');
  EXPECT_EQ(decode(endless, 1, limits).status, ChunkedStatus::kError);
  EXPECT_EQ(status_of("0\r\nX: " + std::string(40000, 'v')), ChunkedStatus::kError);
  limits = {};
  limits.max_trailers = 2;
  EXPECT_EQ(status_of("0\r\nA: 1\r\nB: 2\r\n\r\n", limits), ChunkedStatus::kDone);
  EXPECT_EQ(status_of("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits), ChunkedStatus::kError);
}

TEST(Chunked, ByteByByteGivesTheSameOutputAsWhole) {
  const std::string bodies[] = {
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer-A: 1\r\nTrailer-B: two\r\n\r\n",
      "1a\r\n" + std::string(26, 'z') + "\r\n0\r\n\r\n",
      "3\r\nabc\r\n0\r\nBad : x\r\n\r\n",
      "3\r\nabcX\r\n",
  };
  for (const std::string& body : bodies) {
    const Outcome whole = decode_whole(body);
    expect_same(whole, decode(body, 1), body + " byte by byte");
    expect_same(whole, decode(body, 7), body + " in 7s");
  }
}

TEST(Chunked, EverySplitInTwoGivesTheSameOutput) {
  const std::string body = "4;a=b\r\nWiki\r\n5\r\npedia\r\n0\r\nExpires: never\r\n\r\n";
  const Outcome whole = decode_whole(body);
  ASSERT_EQ(whole.status, ChunkedStatus::kDone);
  for (std::size_t cut = 1; cut < body.size(); ++cut) {
    expect_same(whole, decode(body, cut), "cut at " + std::to_string(cut));
  }
}

TEST(Chunked, OversizeChunkSizesAreRefused) {
  EXPECT_EQ(status_of("4000000000000001\r\n"), ChunkedStatus::kError);  // 2^62 + 1
  EXPECT_EQ(status_of("FFFFFFFFFFFFFFFF\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("00000000000000001\r\na\r\n0\r\n\r\n"), ChunkedStatus::kError);  // 17 digits
  EXPECT_EQ(status_of("100000000000000000000\r\n"), ChunkedStatus::kError);
  // 2^62 itself is allowed: the decoder waits for the data.
  EXPECT_EQ(status_of("4000000000000000\r\nabc"), ChunkedStatus::kNeedMore);
  EXPECT_EQ(status_of("0000000000000001\r\na\r\n0\r\n\r\n"), ChunkedStatus::kDone);  // 16 digits
}

TEST(Chunked, MalformedChunkLinesAreRefused) {
  EXPECT_EQ(status_of("\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("-1\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("0x5\r\nhello\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("+5\r\nhello\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of(" 5\r\nhello\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("5 \r\nhello\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("g\r\n"), ChunkedStatus::kError);
}

TEST(Chunked, LineEndingsMustBeCrlf) {
  EXPECT_EQ(status_of("5\nhello\r\n0\r\n\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("5\rhello\r\n0\r\n\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("5\r\nhello\n0\r\n\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("5\r\nhello\r0\r\n\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("5\r\nhelloX\r\n0\r\n\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("5\r\nhello\r\n0\n\r\n"), ChunkedStatus::kError);
  EXPECT_EQ(status_of("5\r\nhello\r\n0\r\n\r\r"), ChunkedStatus::kError);
}

TEST(Chunked, BytesAfterTheBodyAreLeftForTheNextMessage) {
  const std::string body = "1\r\na\r\n0\r\n\r\n";
  const std::string stream = body + "GET / HTTP/1.1\r\n";
  Collect sink;
  ChunkedDecoder decoder;
  ChunkedResult r = decoder.feed(stream, sink);
  EXPECT_EQ(r.status, ChunkedStatus::kDone);
  EXPECT_EQ(r.consumed, body.size());
  EXPECT_TRUE(decoder.done());
  r = decoder.feed("more", sink);
  EXPECT_EQ(r.status, ChunkedStatus::kDone);
  EXPECT_EQ(r.consumed, 0u);
  decoder.reset();
  EXPECT_FALSE(decoder.done());
  EXPECT_EQ(decoder.feed(body, sink).status, ChunkedStatus::kDone);
}

TEST(Chunked, ErrorsAreSticky) {
  Collect sink;
  ChunkedDecoder decoder;
  EXPECT_EQ(decoder.feed("zz", sink).status, ChunkedStatus::kError);
  const ChunkedResult r = decoder.feed("1\r\na\r\n0\r\n\r\n", sink);
  EXPECT_EQ(r.status, ChunkedStatus::kError);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_TRUE(sink.data.empty());
}

TEST(Chunked, IncompleteBodyNeedsMore) {
  const Outcome out = decode_whole("5\r\nhel");
  EXPECT_EQ(out.status, ChunkedStatus::kNeedMore);
  EXPECT_EQ(out.data, "hel");
  EXPECT_EQ(out.consumed, 6u);
  const Outcome partial_trailer = decode_whole("0\r\nX-Partial: ab");
  EXPECT_EQ(partial_trailer.status, ChunkedStatus::kNeedMore);
  EXPECT_EQ(partial_trailer.consumed, 3u);  // the trailer line is left to be fed again
}

}  // namespace
}  // namespace gatehouse::proxy::http1
