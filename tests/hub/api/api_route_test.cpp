#include "hub/api/api_route.h"

#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

#include "admin_fixture.h"

namespace hub::api {
namespace {

using testsupport::AdminFixture;
using testsupport::http;

std::string count_audit(AdminFixture& f, const std::string& action) {
  return f.db.scalar("SELECT count(*) FROM hub.audit WHERE action = '" + action + "'");
}

// Routes added by other areas (queues, tickets, SOAP) get the server's auth, roles, audit and
// error mapping, and may answer with any content type.
class AddedRoutes : public ::testing::Test {
 protected:
  AddedRoutes() : f({}, true, false) {
    std::vector<ApiRoute> routes;
    routes.push_back({"POST", {"echo", "*"}, "echo", Role::kOperator, [](ApiRequest& r) {
                        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                        o->set("param", r.params.at(0));
                        o->set("body", r.body);
                        o->set("who", r.who.name);
                        o->set("max", r.q_int("max", 1, 1, 10));
                        o->set("header", r.header("x-probe"));
                        return ApiResponse::json(o, 201);
                      }});
    routes.push_back({"GET", {"boom"}, "boom", Role::kViewer, [](ApiRequest&) -> ApiResponse {
                        throw ApiError(422, "cannot do that", std::string("because"));
                      }});
    routes.push_back({"GET", {"missing"}, "missing", Role::kViewer, [](ApiRequest&) -> ApiResponse {
                        throw NotFound("no such queue 'x'");
                      }});
    ApiRoute wsdl{"GET", {"soap"}, "soap.wsdl", Role::kViewer, [](ApiRequest& r) {
                    return ApiResponse::text("<definitions q='" + r.q("wsdl", "none") + "'/>",
                                             "text/xml; charset=utf-8");
                  }};
    wsdl.root = true;
    wsdl.anonymous = true;
    routes.push_back(wsdl);
    ApiRoute soap{"POST", {"soap"}, "soap.call", Role::kOperator, [](ApiRequest& r) {
                    return ApiResponse::text(r.body, "text/xml", 500);
                  }};
    soap.root = true;
    routes.push_back(soap);
    f.server->add_routes(std::move(routes));
    f.server->start();
  }
  AdminFixture f;
};

TEST_F(AddedRoutes, RunWithTheCallersIdentityAndAreAudited) {
  const auto r = http(f.port(), "POST", "/api/v1/echo/q1?max=7", f.operator_, "hello");
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_NE(r.body.find("\"param\":\"q1\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"body\":\"hello\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"who\":\"ops-operator\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"max\":7"), std::string::npos) << r.body;
  EXPECT_EQ(count_audit(f, "api.echo"), "1");
  EXPECT_EQ(f.db.scalar("SELECT object FROM hub.audit WHERE action = 'api.echo'"), "q1");
}

TEST_F(AddedRoutes, CheckTokenRoleAndParameters) {
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/echo/q1", "", "x").status, 401);
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/echo/q1", f.viewer, "x").status, 403);
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/echo/q1", f.admin).status, 405);
  const auto bad = http(f.port(), "POST", "/api/v1/echo/q1?max=99", f.admin, "x");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("1..10"), std::string::npos) << bad.body;
  EXPECT_EQ(count_audit(f, "api.echo"), "2");  // the refused role and the bad parameter
}

TEST_F(AddedRoutes, MapErrorsLikeBuiltInEndpoints) {
  const auto e = http(f.port(), "GET", "/api/v1/boom", f.viewer);
  EXPECT_EQ(e.status, 422);
  EXPECT_NE(e.body.find("cannot do that"), std::string::npos) << e.body;
  EXPECT_NE(e.body.find("because"), std::string::npos) << e.body;
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/missing", f.viewer).status, 404);
  // The built-in endpoints are still there.
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/messages", f.viewer).status, 200);
}

TEST_F(AddedRoutes, RootRoutesServeOtherContentTypesAndMayBeAnonymous) {
  const auto w = http(f.port(), "GET", "/soap?wsdl");
  EXPECT_EQ(w.status, 200);
  EXPECT_EQ(w.content_type, "text/xml; charset=utf-8");
  EXPECT_EQ(w.body, "<definitions q=''/>");
  EXPECT_EQ(http(f.port(), "POST", "/soap", "", "<x/>").status, 401);  // not anonymous
  const auto s = http(f.port(), "POST", "/soap", f.operator_, "<fault/>");
  EXPECT_EQ(s.status, 500);
  EXPECT_EQ(s.body, "<fault/>");
  EXPECT_EQ(http(f.port(), "GET", "/nothing-here").status, 404);
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/soap", f.admin).status, 404);  // root only
}

TEST(AddRoutes, RefusedAfterStart) {
  AdminFixture f;
  EXPECT_THROW(f.server->add_routes({}), Error);
}

}  // namespace
}  // namespace hub::api
