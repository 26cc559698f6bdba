// Mutated requests (bytes flipped, cut, markup spliced in) never escape the endpoint as
// exceptions and never become Server faults: each is either a valid call or a well-formed SOAP 1.1
// Client fault. Deterministic seed, bounded count; the endpoint is called in-process.

#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "soap_fixture.h"

namespace hub::soap {
namespace {

using testsupport::envelope;
using testsupport::sample_body;
using testsupport::soap_request;
using testsupport::SoapFixture;
using testsupport::submit_request;
using testsupport::xpath;

std::string mutate(std::string s, std::mt19937& rng) {
  static const std::string kSplices[] = {"<",      ">",    "&",   "&amp;", "\"",   "<x>",
                                         "</x>",   "<!--", "]]>", "\xff",  "\xd0", "<!DOCTYPE a>",
                                         "xmlns:", "e:"};
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits && !s.empty(); ++i) {
    const std::size_t at = rng() % s.size();
    switch (rng() % 5) {
      case 0:
        s[at] = static_cast<char>(rng() % 256);
        break;
      case 1:
        s.erase(at, 1 + rng() % 16);
        break;
      case 2:
        s.insert(at, kSplices[rng() % std::size(kSplices)]);
        break;
      case 3:
        s.resize(at);
        break;
      default: {
        const std::size_t from = rng() % s.size();
        s.insert(at, s.substr(from, 1 + rng() % 40));
      }
    }
  }
  return s;
}

TEST(SoapFuzz, MutatedRequestsAreValidCallsOrWellFormedClientFaults) {
  SoapFixture f;
  const std::string seed = submit_request("k-fuzz", sample_body("payment.received"));
  std::mt19937 rng(20261201);
  int ok = 0, faults = 0;
  for (int i = 0; i < 1500; ++i) {
    api::ApiRequest req;
    req.method = "POST";
    req.path = "/soap";
    req.headers["soapaction"] = "\"urn:zhkh-hub:soap:1#Submit\"";
    req.who = {"partner-operator", api::Role::kOperator};
    req.body = mutate(seed, rng);
    api::ApiResponse resp;
    ASSERT_NO_THROW(resp = f.endpoint->post(req)) << req.body;
    ASSERT_TRUE(resp.status == 200 || resp.status == 500) << resp.status;
    std::string code;
    ASSERT_NO_THROW(code = xpath(resp.body, "string(//soapenv:Fault/faultcode)"))
        << "not well-formed:\n"
        << resp.body;
    if (resp.status == 200) {
      ++ok;
      EXPECT_TRUE(code.empty());
    } else {
      ++faults;
      EXPECT_TRUE(code == "soapenv:Client" || code == "soapenv:VersionMismatch" ||
                  code == "soapenv:MustUnderstand")
          << code << "\n"
          << resp.body << "\nfor\n"
          << req.body;
    }
  }
  EXPECT_GT(faults, 1000);  // the mutations do break requests
  // Whatever was accepted is in the journal under the one key the seed carries.
  EXPECT_LE(std::stoi(f.db.scalar("SELECT count(*) FROM hub.message")), ok);
}

// Well-formed but wrong bodies: a leaf of the sample gets a junk value, goes missing or is
// repeated. Each is journalled or refused with a Client fault that names an XPath inside the
// submitted envelope and a line of the request.
TEST(SoapFuzz, WrongBodiesAreRefusedNamingTheirPlace) {
  SoapFixture f;
  const std::string sample = sample_body("payment.received");
  const std::regex leaf("<c:([A-Za-z]+)( [^>]*)?>([^<]*)</c:\\1>");
  std::vector<std::smatch> leaves;
  for (auto it = std::sregex_iterator(sample.begin(), sample.end(), leaf);
       it != std::sregex_iterator(); ++it) {
    leaves.push_back(*it);
  }
  ASSERT_GT(leaves.size(), 10u);
  static const std::string kJunk[] = {
      "", "-1", "abc", "99999999999999999999", "2026-13-45", "  ", "&lt;x&gt;", "1.5", "Ж"};
  std::mt19937 rng(1201);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 300; ++i) {
    const auto& m = leaves[rng() % leaves.size()];
    const auto at = static_cast<std::size_t>(m.position(0));
    const auto len = static_cast<std::size_t>(m.length(0));
    std::string body = sample;
    switch (rng() % 3) {
      case 0: {
        const auto value_at = static_cast<std::size_t>(m.position(3));
        body.replace(value_at, static_cast<std::size_t>(m.length(3)),
                     kJunk[rng() % std::size(kJunk)]);
        break;
      }
      case 1:
        body.erase(at, len);
        break;
      default:
        body.insert(at + len, m.str(0));
    }
    const auto r =
        f.call("\"urn:zhkh-hub:soap:1#Submit\"",
               soap_request("<s:SubmitRequest>" + envelope("k-body-" + std::to_string(i), body) +
                            "</s:SubmitRequest>"));
    if (r.status == 200) {
      ++accepted;
      continue;
    }
    ++refused;
    ASSERT_EQ(r.status, 500);
    EXPECT_EQ(xpath(r.body, "string(//soapenv:Fault/faultcode)"), "soapenv:Client") << r.body;
    EXPECT_NE(xpath(r.body, "string(//faultstring)")
                  .find("/soapenv:Envelope/soapenv:Body/s:SubmitRequest/e:envelope"),
              std::string::npos)
        << r.body;
    EXPECT_NE(xpath(r.body, "string(//s:FaultDetail/s:issue[1]/@line)"), "0") << r.body;
  }
  EXPECT_GT(refused, 50);
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.message"), std::to_string(accepted));
}

}  // namespace
}  // namespace hub::soap
