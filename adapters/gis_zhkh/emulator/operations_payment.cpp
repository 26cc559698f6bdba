// importNotificationsOfOrderExecution and its cancellation (payment).

#include "operations.h"

namespace hub::adapters::gis_zhkh::emulator {
namespace {

OpResult import_notifications(OpContext& c) {
  Store& s = c.store;
  std::string results;
  for (xmlNodePtr n : kids(c.request)) {
    const std::string name = local_name(n);
    if (name != "NotificationOfOrderExecutionType" && name != "NotificationOfOrderExecution139Type")
      continue;
    const std::string transport = kid_text(n, "TransportGUID");
    if (auto err = s.object_errors.find(transport); err != s.object_errors.end()) {
      results += common_error("pay:ImportResult", transport, err->second.code, err->second.text);
      continue;
    }
    xmlNodePtr order = kid(n, "OrderInfo");
    const std::string order_id = kid_text(order, "OrderID");
    if (auto it = s.notifications.find(order_id);
        it != s.notifications.end() && !it->second.cancelled) {
      results += common_error("pay:ImportResult", transport, "SRV008001",
                              "Извещение о принятии к исполнению распоряжения с идентификатором " +
                                  order_id + " уже размещено");
      continue;
    }
    const std::string doc = kid_text(order, "PaymentDocumentID");
    if (!doc.empty() && !s.payment_doc_by_id.count(doc)) {
      results += common_error("pay:ImportResult", transport, kNotFound,
                              "Платежный документ " + doc + " не найден");
      continue;
    }
    NotificationRec rec;
    rec.order_id = order_id;
    rec.guid = s.mint.make(kNotification, s.notification_seq++);
    rec.amount = kid_text(order, "Amount");
    rec.payment_document_id = doc;
    s.notifications[order_id] = rec;
    results += common_result("pay:ImportResult", rec.guid, transport, order_id);
  }
  return {{}, {}, results};
}

OpResult import_cancellations(OpContext& c) {
  Store& s = c.store;
  std::string results;
  for (xmlNodePtr n : kids(c.request, "NotificationOfOrderExecutionCancellation")) {
    const std::string transport = kid_text(n, "TransportGUID");
    const std::string order_id = kid_text(n, "OrderID");
    if (auto err = s.object_errors.find(transport); err != s.object_errors.end()) {
      results += common_error("pay:ImportResult", transport, err->second.code, err->second.text);
      continue;
    }
    auto it = s.notifications.find(order_id);
    if (it == s.notifications.end()) {
      results +=
          common_error("pay:ImportResult", transport, kNotFound,
                       "Извещение с идентификатором распоряжения " + order_id + " не найдено");
      continue;
    }
    if (it->second.cancelled) {
      results += common_error(
          "pay:ImportResult", transport, "SRV008002",
          "Извещение с идентификатором распоряжения " + order_id + " уже аннулировано");
      continue;
    }
    it->second.cancelled = true;
    results += common_result("pay:ImportResult", s.mint.make(kCancellation, s.cancellation_seq++),
                             transport, order_id);
  }
  return {{}, {}, results};
}

}  // namespace

void register_payment_operations(std::map<std::string, Handler>& out) {
  out["importNotificationsOfOrderExecution"] = import_notifications;
  out["importNotificationsOfOrderExecutionCancellation"] = import_cancellations;
}

}  // namespace hub::adapters::gis_zhkh::emulator
