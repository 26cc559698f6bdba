// external.state for payment documents: GIS's PaymentDocumentGUID and ИПД (the CommonResult's
// UniqueNumber) land on the document the result names; a re-issue from the billing engine, which
// does not know them, keeps them; a per-object error is recorded without a GUID.

#include <gtest/gtest.h>

#include "billing_fixture.h"

namespace hub::billing {
namespace {

using testing::BillingTest;
using testing::envelope;
using testing::replace;
using testing::sample;
using testing::without;

std::string state(const std::string& request, const std::string& result) {
  return "<c:externalState xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:system>gis_zhkh</c:system>"
         "<c:operation>importPaymentDocumentData</c:operation><c:requestId>" +
         request +
         "</c:requestId><c:state>done</c:state><c:checkedAt>2026-11-25T00:40:00Z</"
         "c:checkedAt>" +
         result + "</c:externalState>";
}

TEST_F(BillingTest, ExternalStateGivesAPaymentDocumentItsGisGuidAndIpd) {
  const auto doc =
      without(without(sample("payment_document.issued"), "ipd"), "gisPaymentDocumentGuid");
  ASSERT_TRUE(store.apply(envelope("payment_document.issued", doc, "d1")).ok());
  const auto other = replace(doc, "<c:documentNumber>100234-2610</c:documentNumber>",
                             "<c:documentNumber>100235-2610</c:documentNumber>");
  ASSERT_TRUE(store.apply(envelope("payment_document.issued", other, "d2")).ok());

  const auto r = store.apply(envelope(
      "external.state",
      state("5a1b2c3d-0000-4000-8000-000000000001",
            "<c:result><c:transportGuid>9a1b2c3d-0000-4000-8000-000000000001</c:transportGuid>"
            "<c:objectKind>payment_document</c:objectKind><c:objectRef>100234-2610</c:objectRef>"
            "<c:externalGuid>c5f3e4d6-7b80-4192-acb3-d4e5f6071829</c:externalGuid>"
            "<c:uniqueNumber>34АА011432-01-2610</c:uniqueNumber>"
            "<c:updatedAt>2026-11-25T00:39:58Z</c:updatedAt></c:result>"
            "<c:result><c:transportGuid>9a1b2c3d-0000-4000-8000-000000000002</c:transportGuid>"
            "<c:objectKind>payment_document</c:objectKind><c:objectRef>100235-2610</c:objectRef>"
            "<c:error><c:code>INT002000</c:code><c:text>Лицевой счет не найден</c:text></c:error>"
            "</c:result>"),
      "x1"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(db.scalar("SELECT gis_payment_document_guid || ' ' || ipd FROM "
                      "billing.payment_document WHERE document_number = '100234-2610'"),
            "c5f3e4d6-7b80-4192-acb3-d4e5f6071829 34АА011432-01-2610");
  EXPECT_EQ(db.scalar("SELECT coalesce(gis_payment_document_guid, '-') || ' ' || ext_error_code "
                      "FROM billing.payment_document WHERE document_number = '100235-2610'"),
            "- INT002000");

  // The engine issues the document again (a correction) without GIS's ids: they stay.
  const auto again =
      replace(doc, "<c:payUntil>2026-11-10</c:payUntil>", "<c:payUntil>2026-11-15</c:payUntil>");
  const auto applied = store.apply(envelope("payment_document.issued", again, "d3"));
  ASSERT_TRUE(applied.ok()) << applied.error;
  EXPECT_EQ(applied.outcome, ApplyResult::Outcome::kUpdated);
  EXPECT_EQ(db.scalar("SELECT gis_payment_document_guid || ' ' || ipd || ' ' || "
                      "pay_until FROM billing.payment_document WHERE document_number = "
                      "'100234-2610'"),
            "c5f3e4d6-7b80-4192-acb3-d4e5f6071829 34АА011432-01-2610 2026-11-15");
}

}  // namespace
}  // namespace hub::billing
