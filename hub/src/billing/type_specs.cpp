#include "hub/billing/type_specs.h"

#include "hub/billing/address.h"

namespace hub::billing {
namespace {

constexpr auto T = FieldKind::kText;
constexpr auto I = FieldKind::kInt;
constexpr auto D = FieldKind::kDecimal;
constexpr auto B = FieldKind::kBool;
constexpr auto Dt = FieldKind::kDate;
constexpr auto Ts = FieldKind::kTimestamp;

std::string get(const Record& r, const std::string& k) {
  auto it = r.find(k);
  return it == r.end() ? std::string() : it->second;
}
void put(Record& r, const std::string& k, const std::string& v) {
  if (v.empty()) {
    r.erase(k);
  } else {
    r[k] = v;
  }
}

// c:ZoneValue: <value zone="day">12.3</value>
std::vector<Field> zone_value() {
  return {scalar("@zone", "zone"), scalar(".", "value", D)};
}

// c:Person with a column prefix.
std::vector<Field> person(const std::string& p) {
  return {scalar("lastName", p + "last_name"), scalar("firstName", p + "first_name"),
          scalar("middleName", p + "middle_name"), scalar("birthDate", p + "birth_date", Dt),
          scalar("snils", p + "snils")};
}

// c:Party with a column prefix.
std::vector<Field> party(const std::string& p) {
  return {scalar("inn", p + "inn"), scalar("kpp", p + "kpp"), scalar("name", p + "name")};
}

// c:FileRef with a column prefix.
std::vector<Field> file_ref(const std::string& p) {
  return {scalar("ref", p + "ref"), scalar("fileName", p + "name"),
          scalar("mediaType", p + "media_type"), scalar("size", p + "size", I),
          scalar("sha256", p + "sha256")};
}

// c:EdoParticipant (c:Party + edoId) with a column prefix.
std::vector<Field> edo_participant(const std::string& p) {
  auto f = party(p);
  f.push_back(scalar("edoId", p + "edo_id"));
  return f;
}

std::vector<Field> payment_received_fields() {
  return {
      group("agent", {scalar("code", "agent_code"), scalar("name", "agent_name"),
                      scalar("inn", "agent_inn"), scalar("bik", "agent_bik")}),
      scalar("registryRef", "registry_ref"),
      scalar("transactionId", "transaction_id"),
      scalar("paidAt", "paid_on", Dt),
      scalar("account", "payer_account"),
      scalar("els", "payer_els"),
      scalar("ipd", "payer_ipd"),
      scalar("izhku", "payer_izhku"),
      scalar("period", "period"),
      scalar("amountKopecks", "amount_kopecks", I),
      scalar("commissionKopecks", "commission_kopecks", I),
      group("services",
            {repeated("service", "services",
                      {scalar("code", ""), scalar("amountKopecks", "", I), scalar("name", "")})}),
      group("readings", {repeated("meter", "readings",
                                  {scalar("meterId", ""), repeated("value", "", zone_value())})}),
      group("payer", {scalar("name", "payer_name"), scalar("address", "payer_address"),
                      scalar("phone", "payer_phone")}),
  };
}

std::vector<Field> unidentified_fields() {
  return {
      scalar("paymentMessageId", "payment_message_id"),
      scalar("reason", "unidentified_reason"),
      scalar("reasonText", "reason_text"),
      scalar("checkedAt", "checked_at", Ts),
      group("candidates", {repeated("candidate", "candidates",
                                    {scalar("account", ""), scalar("els", ""),
                                     scalar("score", "", D), repeated("matchedBy", ""),
                                     scalar("payerName", ""), scalar("address", "")})}),
  };
}

void derive_payment(Record& r) {
  const auto tx = get(r, "transaction_id");
  put(r, "payment_ref", tx.empty() ? "reg:" + get(r, "registry_ref") : "tx:" + tx);
}

std::vector<TypeSpec> build_specs() {
  std::vector<TypeSpec> out;

  out.push_back(
      TypeSpec{"house.upsert",
               "houseUpsert",
               "house",
               {scalar("fiasGuid", "fias_guid"), scalar("gisHouseGuid", "gis_house_guid"),
                scalar("gisUniqueNumber", "gis_unique_number"), scalar("address", "address"),
                scalar("oktmo", "oktmo"), scalar("cadastralNumber", "cadastral_number"),
                scalar("kind", "kind"), scalar("totalArea", "total_area", D),
                scalar("residentialArea", "residential_area", D), scalar("floors", "floors", I),
                scalar("entrances", "entrances", I), scalar("builtYear", "built_year"),
                scalar("managedFrom", "managed_from", Dt), scalar("managedTo", "managed_to", Dt)},
               {"fias_guid"},
               {{"street_key", T, false}, {"house_no", T, false}},
               [](Record& r) {
                 const auto a = parse_address(get(r, "address"));
                 put(r, "street_key", a.street);
                 put(r, "house_no", a.house);
               }});

  out.push_back(TypeSpec{
      "premise.upsert",
      "premiseUpsert",
      "premise",
      {scalar("houseFiasGuid", "house_fias_guid"), scalar("number", "number"),
       scalar("residential", "residential", B), scalar("fiasGuid", "fias_guid"),
       scalar("gisPremisesGuid", "gis_premises_guid"),
       scalar("gisUniqueNumber", "gis_unique_number"),
       scalar("cadastralNumber", "cadastral_number"), scalar("entrance", "entrance"),
       scalar("floor", "floor", I), scalar("totalArea", "total_area", D),
       scalar("livingArea", "living_area", D), scalar("roomsCount", "rooms_count", I),
       repeated("room", "rooms",
                {scalar("number", ""), scalar("gisLivingRoomGuid", ""), scalar("area", "", D)})},
      {"house_fias_guid", "number_key"},
      {{"number_key", T, false}},
      [](Record& r) { put(r, "number_key", normalise_number(get(r, "number"))); }});

  out.push_back(TypeSpec{
      "account.upsert",
      "accountUpsert",
      "account",
      {scalar("account", "number"), scalar("els", "els"),
       scalar("houseFiasGuid", "house_fias_guid"),
       group("premise",
             {scalar("number", "premise_number"), scalar("residential", "premise_residential", B),
              scalar("gisPremisesGuid", "gis_premises_guid"),
              scalar("gisLivingRoomGuid", "gis_living_room_guid")}),
       scalar("area", "area", D), scalar("residents", "residents", I),
       scalar("openedOn", "opened_on", Dt), scalar("closedOn", "closed_on", Dt),
       scalar("gisAccountGuid", "gis_account_guid"), scalar("izhku", "izhku"),
       scalar("kind", "kind"),
       group("payer",
             {group("person", person("payer_")), group("organisation", party("payer_org_")),
              scalar("renter", "payer_renter", B), scalar("phone", "payer_phone"),
              scalar("email", "payer_email")}),
       scalar("address", "address"), scalar("livingArea", "living_area", D),
       scalar("sharePercent", "share_percent", D), scalar("closeReason", "close_reason")},
      {"number"},
      {{"premise_key", T, false},
       {"payer_surname", T, false},
       {"address_street", T, false},
       {"address_house_no", T, false}},
      [](Record& r) {
        put(r, "premise_key", normalise_number(get(r, "premise_number")));
        const auto last = get(r, "payer_last_name");
        put(r, "payer_surname",
            last.empty() ? normalise_words(get(r, "payer_org_name")) : surname_of(last));
        const auto a = parse_address(get(r, "address"));
        put(r, "address_street", a.street);
        put(r, "address_house_no", a.house);
      }});

  out.push_back(TypeSpec{"meter.upsert",
                         "meterUpsert",
                         "meter",
                         {scalar("meterId", "meter_id"),
                          scalar("serialNumber", "serial_number"),
                          scalar("kind", "kind"),
                          scalar("resource", "resource"),
                          scalar("service", "service"),
                          scalar("model", "model"),
                          scalar("unit", "unit"),
                          scalar("digitCapacity", "digit_capacity", I),
                          scalar("fractionDigits", "fraction_digits", I),
                          scalar("tariffZones", "tariff_zones", I),
                          scalar("transformationRatio", "transformation_ratio", D),
                          scalar("houseFiasGuid", "house_fias_guid"),
                          scalar("premiseNumber", "premise_number"),
                          repeated("account", "accounts"),
                          scalar("installedOn", "installed_on", Dt),
                          scalar("commissionedOn", "commissioned_on", Dt),
                          scalar("lastVerifiedOn", "last_verified_on", Dt),
                          scalar("nextVerificationOn", "next_verification_on", Dt),
                          scalar("verificationIntervalYears", "verification_interval_years", I),
                          scalar("sealedOn", "sealed_on", Dt),
                          repeated("initialValue", "initial_values", zone_value()),
                          scalar("remote", "remote", B),
                          scalar("gisRootGuid", "gis_root_guid"),
                          scalar("gisVersionGuid", "gis_version_guid"),
                          scalar("gisNumber", "gis_number"),
                          scalar("archivedOn", "archived_on", Dt),
                          scalar("archiveReason", "archive_reason")},
                         {"meter_id"},
                         {},
                         nullptr});

  out.push_back(TypeSpec{
      "meter.reading",
      "meterReading",
      "reading",
      {scalar("meterId", "meter_id"), scalar("serialNumber", "serial_number"),
       scalar("account", "account"), scalar("resource", "resource"),
       repeated("value", "zone_values", zone_value()), scalar("channel", "channel"),
       scalar("takenAt", "taken_at", Ts), scalar("period", "period"),
       scalar("gisMeterGuid", "gis_meter_guid"), scalar("externalId", "external_id")},
      {"meter_key", "taken_at", "channel"},
      {{"meter_key", T, false}},
      [](Record& r) {
        // A meter named only by its factory number is that number within the account.
        const auto id = get(r, "meter_id");
        put(r, "meter_key",
            id.empty() ? "serial:" + get(r, "account") + ":" + get(r, "serial_number") : id);
      }});

  std::vector<ColumnSpec> payment_derived = {{"payment_ref", T, false}};
  const std::vector<std::string> payment_key = {"agent_code", "paid_on", "payment_ref",
                                                "amount_kopecks"};
  out.push_back(TypeSpec{"payment.received", "paymentReceived", "payment",
                         payment_received_fields(), payment_key, payment_derived, derive_payment});
  // payment.cancelled: kept as sent; billing_store.cpp marks the payment it names (agent +
  // payment_ref) cancelled. `ref` (agent:payment_ref) is how external.state names it (GIS's
  // importNotificationsOfOrderExecutionCancellation results).
  out.push_back(
      TypeSpec{"payment.cancelled",
               "paymentCancelled",
               "payment_cancellation",
               {group("agent", {scalar("code", "agent_code"), scalar("name", "agent_name")}),
                scalar("registryRef", "registry_ref"), scalar("transactionId", "transaction_id"),
                scalar("cancelledOn", "cancelled_on", Dt), scalar("reason", "reason"),
                scalar("cancellationRef", "cancellation_ref")},
               {"agent_code", "payment_ref"},
               {{"payment_ref", T, false}, {"ref", T, false}},
               [](Record& r) {
                 derive_payment(r);
                 put(r, "ref", get(r, "agent_code") + ":" + get(r, "payment_ref"));
               }});
  {
    std::vector<Field> f = {group("paymentReceived", payment_received_fields())};
    for (auto& x : unidentified_fields()) f.push_back(std::move(x));
    out.push_back(TypeSpec{"payment.unidentified", "paymentUnidentified", "payment", f, payment_key,
                           payment_derived, derive_payment});
  }

  out.push_back(TypeSpec{
      "charge.issued",
      "chargeIssued",
      "charge",
      {scalar("account", "account"), scalar("els", "els"), scalar("period", "period"),
       scalar("calculationId", "calculation_id"), scalar("calculatedAt", "calculated_at", Ts),
       group("services",
             {repeated(
                 "service", "services",
                 {scalar("code", ""), scalar("name", ""), scalar("kind", ""), scalar("method", ""),
                  scalar("unit", ""), scalar("volume", "", D), scalar("tariffKopecks", "", D),
                  scalar("chargedKopecks", "", I),
                  repeated("recalculation", "",
                           {scalar("amountKopecks", "", I), scalar("reason", ""),
                            scalar("period", ""), scalar("volume", "", D)}),
                  repeated("benefit", "", {scalar("category", ""), scalar("amountKopecks", "", I)}),
                  scalar("totalKopecks", "", I)})}),
       scalar("penaltyKopecks", "penalty_kopecks", I), scalar("totalKopecks", "total_kopecks", I)},
      {"account", "period"},
      {},
      nullptr});

  {
    std::vector<Field> f = {
        scalar("documentNumber", "document_number"),
        scalar("ipd", "ipd"),
        scalar("gisPaymentDocumentGuid", "gis_payment_document_guid"),
        scalar("account", "account"),
        scalar("els", "els"),
        scalar("izhku", "izhku"),
        scalar("period", "period"),
        scalar("issuedOn", "issued_on", Dt),
        scalar("payUntil", "pay_until", Dt),
        scalar("area", "area", D),
        scalar("residents", "residents", I),
        group("payee", {scalar("name", "payee_name"), scalar("inn", "payee_inn"),
                        scalar("kpp", "payee_kpp"), scalar("bankBik", "payee_bank_bik"),
                        scalar("settlementAccount", "payee_settlement_account"),
                        scalar("correspondentAccount", "payee_correspondent_account")}),
        group("services",
              {repeated("service", "services",
                        {scalar("code", ""), scalar("name", ""), scalar("unit", ""),
                         scalar("volume", "", D), scalar("tariffKopecks", "", D),
                         scalar("chargedKopecks", "", I), scalar("recalculationKopecks", "", I),
                         scalar("benefitKopecks", "", I), scalar("totalKopecks", "", I)})}),
        scalar("debtKopecks", "debt_kopecks", I),
        scalar("advanceKopecks", "advance_kopecks", I),
        scalar("paidKopecks", "paid_kopecks", I),
        scalar("penaltyKopecks", "penalty_kopecks", I),
        scalar("totalDueKopecks", "total_due_kopecks", I),
        group("file", file_ref("file_")),
    };
    out.push_back(TypeSpec{"payment_document.issued",
                           "paymentDocumentIssued",
                           "payment_document",
                           f,
                           {"account", "period", "document_number"},
                           {},
                           nullptr});
  }

  {
    std::vector<Field> f = {
        group("person", person("person_")),
        scalar("account", "account"),
        scalar("els", "els"),
        scalar("address", "address"),
        group("category", {scalar("code", "category_code"), scalar("name", "category_name"),
                           scalar("legalBasis", "category_legal_basis")}),
        scalar("periodFrom", "period_from"),
        scalar("periodTo", "period_to"),
        scalar("amountKopecks", "amount_kopecks", I),
        scalar("percent", "percent", D),
        repeated("service", "services"),
        scalar("membersCovered", "members_covered", I),
        scalar("normArea", "norm_area", D),
        scalar("decisionRef", "decision_ref"),
        scalar("decisionDate", "decision_date", Dt),
    };
    out.push_back(TypeSpec{"benefit.recipient",
                           "benefitRecipient",
                           "benefit",
                           f,
                           {"account", "category_code", "period_from", "person_key"},
                           {{"person_key", T, false}},
                           [](Record& r) {
                             // SNILS names a person; without it, the normalised full name and
                             // birth date do.
                             const auto snils = get(r, "person_snils");
                             put(r, "person_key",
                                 !snils.empty()
                                     ? "snils:" + snils
                                     : normalise_words(get(r, "person_last_name") + " " +
                                                       get(r, "person_first_name") + " " +
                                                       get(r, "person_middle_name")) +
                                           "|" + get(r, "person_birth_date"));
                           }});
  }
  {
    std::vector<Field> f = {
        scalar("receiptId", "receipt_id"),
        scalar("provider", "provider"),
        scalar("providerId", "provider_id"),
        group("fiscal",
              {scalar("fnNumber", "fn_number"), scalar("fdNumber", "fd_number", I),
               scalar("fpd", "fpd", I), scalar("registeredAt", "registered_at", Ts),
               scalar("kktRegNumber", "kkt_reg_number"), scalar("shiftNumber", "shift_number", I),
               scalar("receiptNumber", "receipt_number", I),
               scalar("totalKopecks", "total_kopecks", I), scalar("fnsSite", "fns_site"),
               scalar("ofdStatus", "ofd_status"), scalar("qr", "qr")}),
        group("error", {scalar("code", "error_code"), scalar("text", "error_text")}),
    };
    out.push_back(TypeSpec{"receipt.fiscalized",
                           "receiptFiscalized",
                           "fiscal_receipt",
                           f,
                           {"receipt_id"},
                           {},
                           nullptr});
  }

  // document.outgoing and document.status share the EDO document's row (by documentId); what
  // only the status says has its own columns, so neither message erases the other's.
  {
    std::vector<Field> f = {
        scalar("documentId", "document_id"),
        scalar("kind", "kind"),
        scalar("function", "doc_function"),
        scalar("formatVersion", "format_version"),
        scalar("number", "number"),
        scalar("date", "doc_date", Dt),
        group("sender", edo_participant("sender_")),
        group("counterparty", edo_participant("counterparty_")),
        scalar("operator", "operator"),
        group("file", file_ref("file_")),
        group("signature", file_ref("signature_")),
        scalar("recipientSignatureRequired", "recipient_signature_required", B),
        scalar("totalKopecks", "total_kopecks", I),
        scalar("vatKopecks", "vat_kopecks", I),
        scalar("account", "account"),
        scalar("period", "period"),
        scalar("comment", "comment"),
    };
    out.push_back(TypeSpec{
        "document.outgoing", "documentOutgoing", "edo_document", f, {"document_id"}, {}, nullptr});
  }
  {
    std::vector<Field> f = {
        scalar("documentId", "document_id"),
        scalar("operator", "operator"),
        scalar("operatorDocumentId", "operator_document_id"),
        scalar("kind", "status_kind"),
        group("counterparty", edo_participant("status_counterparty_")),
        scalar("status", "status"),
        scalar("operatorStatus", "operator_status"),
        scalar("statusAt", "status_at", Ts),
        scalar("sentAt", "sent_at", Ts),
        scalar("deliveredAt", "delivered_at", Ts),
        scalar("comment", "status_comment"),
        group("error", {scalar("code", "status_error_code"), scalar("text", "status_error_text")}),
        group("file", file_ref("status_file_")),
    };
    out.push_back(TypeSpec{
        "document.status", "documentStatus", "edo_document", f, {"document_id"}, {}, nullptr});
  }

  // external.state: kept as sent (by system + requestId); its per-object results then set the
  // objects' external ids and errors (billing_store.cpp).
  {
    std::vector<Field> f = {
        scalar("system", "system"),
        scalar("operation", "operation"),
        scalar("requestId", "request_id"),
        scalar("externalMessageId", "external_message_id"),
        scalar("state", "state"),
        scalar("checkedAt", "checked_at", Ts),
        group("error", {scalar("code", "error_code"), scalar("text", "error_text")}),
        repeated(
            "result", "results",
            {scalar("transportGuid", ""), scalar("objectKind", ""), scalar("objectRef", ""),
             scalar("externalGuid", ""), scalar("uniqueNumber", ""), scalar("updatedAt", "", Ts),
             repeated("error", "", {scalar("code", ""), scalar("text", "")})}),
    };
    out.push_back(TypeSpec{"external.state",
                           "externalState",
                           "external_state",
                           f,
                           {"system", "request_id"},
                           {},
                           nullptr});
  }
  return out;
}

}  // namespace

const std::vector<TypeSpec>& type_specs() {
  static const std::vector<TypeSpec> specs = build_specs();
  return specs;
}

const TypeSpec* find_type_spec(const std::string& type) {
  for (const auto& s : type_specs())
    if (s.type == type) return &s;
  return nullptr;
}

std::string natural_key(const TypeSpec& spec, const Record& record) {
  std::string out;
  bool first = true;
  for (const auto& k : spec.key) {
    if (!first) out += '\x1f';
    first = false;
    auto it = record.find(k);
    if (it != record.end()) out += it->second;
  }
  return out;
}

}  // namespace hub::billing
